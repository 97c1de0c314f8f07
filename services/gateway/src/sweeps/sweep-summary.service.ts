import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError } from '../../../../libs/domain/src/errors';
import {
  CLICKHOUSE,
  findRuns,
  getMetricSummaries,
  getRunParams,
  getSweeps,
  inReadScope,
  numericValue,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
} from '../../../../libs/store/src';
import { toRun } from '../runs/runs.service';
import { spearman } from './spearman';
import type { ParamImportance, SweepSummary } from './sweep-summary.models';

export const MAX_SWEEP_RUNS = 10_000;

/** A sweep's runs with params and chosen metrics, and each numeric param's rank correlation with the objective. */
@Injectable()
export class SweepSummaryService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async summary(
    sweepId: string,
    metrics: readonly string[],
    scope: ReadScope,
    objectiveOverride?: string,
  ): Promise<SweepSummary> {
    const sweep = (await getSweeps(this.reader, [sweepId])).get(sweepId);
    // Another workspace's sweep is refused as an unknown one: the same error, the same words.
    if (!sweep || !inReadScope(scope, sweep.workspace))
      throw new NotFoundError(`sweep ${sweepId} not found`, 'sweepId');
    const objective = objectiveOverride ?? sweep.objective?.metric ?? null;
    const runs = await findRuns(this.reader, { sweepId, includeDeleted: false, scope }, MAX_SWEEP_RUNS);
    const ids = runs.map((run) => run.runId);
    const [params, summaries] = await Promise.all([
      getRunParams(this.reader, ids),
      getMetricSummaries(this.reader, ids),
    ]);
    const lastOf = (runId: string, key: string) =>
      summaries.get(runId)?.find((summary) => summary.key === key)?.last ?? null;
    const rows = runs.map((run) => ({
      run: toRun(run),
      params: params.get(run.runId) ?? [],
      metrics: metrics.map((key) => ({ key, value: lastOf(run.runId, key) })),
    }));
    return {
      objective,
      goal: objectiveOverride === undefined ? (sweep.objective?.goal ?? null) : null,
      rows,
      importance: objective === null ? [] : importance(ids, params, (runId) => lastOf(runId, objective)),
    };
  }
}

function importance(
  runIds: readonly string[],
  params: Map<string, { key: string; value: string }[]>,
  objectiveOf: (runId: string) => number | null,
): ParamImportance[] {
  const pairs = new Map<string, { xs: number[]; ys: number[] }>();
  for (const runId of runIds) {
    const objective = objectiveOf(runId);
    if (objective === null || !Number.isFinite(objective)) continue;
    for (const { key, value } of params.get(runId) ?? []) {
      const x = numericValue(value);
      if (x === null) continue;
      const pair = pairs.get(key) ?? { xs: [], ys: [] };
      pair.xs.push(x);
      pair.ys.push(objective);
      pairs.set(key, pair);
    }
  }
  return [...pairs]
    .map(([key, { xs, ys }]) => ({ key, spearman: spearman(xs, ys), runs: xs.length }))
    .sort(
      (a, b) => strength(b.spearman) - strength(a.spearman) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
}

/** How strongly a param goes with the objective, either way; no correlation at all sorts last. */
function strength(correlation: number | null): number {
  return correlation === null ? -1 : Math.abs(correlation);
}
