import { Inject, Injectable } from '@nestjs/common';
import { ValidationError } from '../../../../libs/domain/src/errors';
import {
  CLICKHOUSE,
  findInputs,
  getMetricSummaries,
  getRunParams,
  getRuns,
  getRunTags,
  inReadScope,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
} from '../../../../libs/store/src';
import { toRun } from '../runs/runs.service';
import { comparisonRows, type ComparedRun } from './compare-rows';
import type { RunComparison } from './compare.models';

export const MAX_COMPARED_RUNS = 100;

/** Runs side by side: five queries whatever the number of runs (runs, params, tags, metrics, inputs). */
@Injectable()
export class CompareService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async compare(ids: readonly string[], scope: ReadScope): Promise<RunComparison> {
    const unique = [...new Set(ids)];
    if (unique.length === 0 || unique.length > MAX_COMPARED_RUNS) {
      throw new ValidationError(`compareRuns takes 1 to ${MAX_COMPARED_RUNS} run ids`, 'ids');
    }
    const [views, params, tags, metrics, inputs] = await Promise.all([
      getRuns(this.reader, unique),
      getRunParams(this.reader, unique),
      getRunTags(this.reader, unique),
      getMetricSummaries(this.reader, unique),
      findInputs(this.reader, { runIds: unique }),
    ]);
    // Another workspace's runs are left out, as ids that name nothing are.
    const found = unique.flatMap((id) =>
      views.filter((view) => view.runId === id && inReadScope(scope, view.workspace)),
    );
    const keyed = (pairs: { key: string; value: string }[] = []) =>
      Object.fromEntries(pairs.map(({ key, value }) => [key, value]));
    const compared: ComparedRun[] = found.map((view) => {
      const digests = new Map<string, string[]>();
      for (const input of inputs.filter((entry) => entry.runId === view.runId)) {
        digests.set(input.name, [...(digests.get(input.name) ?? []), input.digest].sort());
      }
      return {
        attributes: {
          name: view.name,
          status: view.status,
          experimentId: view.experimentId,
          sweepId: view.sweepId,
          parentRunId: view.parentRunId,
        },
        params: keyed(params.get(view.runId)),
        tags: keyed(tags.get(view.runId)),
        metrics: Object.fromEntries(
          (metrics.get(view.runId) ?? []).map((summary) => [summary.key, String(summary.last)]),
        ),
        context: view.context,
        inputs: Object.fromEntries([...digests].map(([name, list]) => [name, list.join(',')])),
      };
    });
    return { runs: found.map(toRun), rows: comparisonRows(compared) };
  }
}
