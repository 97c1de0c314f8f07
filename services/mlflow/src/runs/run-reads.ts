import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  childrenOf,
  findInputs,
  getLatestMetricPoints,
  getMetricSummaries,
  getRunParams,
  getRuns,
  getRunTags,
  inReadScope,
  type InputView,
  type LoggedPoint,
  type MetricSummaryView,
  type RunView,
  type TagView,
} from '../../../../libs/store/src';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { notFound } from '../protocol/mlflow-error';
import { isLoggedModel, OUTPUT_STEP_TAG } from '../models/logged-model-json';
import { runJson } from './run-json';

export type RunJson = ReturnType<typeof runJson>;

/** Runs as MLflow reads them, whole (info, data, inputs), many in a few queries. */
@Injectable()
export class RunReads {
  constructor(private readonly backend: MlflowBackend) {}

  /** The run in the caller's scope (deleted ones too), or RESOURCE_DOES_NOT_EXIST. */
  async view(request: Request, runId: string): Promise<RunView> {
    const scope = await this.backend.read(request);
    const [run] = await getRuns(this.backend.reader, [runId]);
    if (!run || !inReadScope(scope, run.workspace)) throw notFound(`Run with id=${runId} not found`);
    return run;
  }

  /** The run's tags as stored (read after view(), which waits for the caller's writes). */
  async tags(runId: string): Promise<readonly TagView[]> {
    return (await getRunTags(this.backend.reader, [runId])).get(runId) ?? [];
  }

  /** The run, with the logged models it output (its children marked as models, with their step). */
  async get(request: Request, runId: string): Promise<RunJson> {
    const [run] = await this.whole([await this.view(request, runId)]);
    const children = (await childrenOf(this.backend.reader, [runId])).get(runId) ?? [];
    if (children.length === 0) return run;
    const tags = await getRunTags(
      this.backend.reader,
      children.map((child) => child.runId),
    );
    const modelOutputs = children.flatMap((child) => {
      const childTags = tags.get(child.runId) ?? [];
      if (!isLoggedModel(childTags)) return [];
      const step = Number(childTags.find((tag) => tag.key === OUTPUT_STEP_TAG)?.value ?? 0);
      return [{ model_id: child.runId, step }];
    });
    return { ...run, outputs: modelOutputs.length ? { model_outputs: modelOutputs } : {} };
  }

  /** The runs with their params, tags, latest metrics and inputs, in the order given. */
  async whole(runs: readonly RunView[]): Promise<RunJson[]> {
    const ids = runs.map((run) => run.runId);
    if (ids.length === 0) return [];
    const reader = this.backend.reader;
    const [params, tags, latest, summaries, inputs] = await Promise.all([
      getRunParams(reader, ids),
      getRunTags(reader, ids),
      getLatestMetricPoints(reader, ids),
      getMetricSummaries(reader, ids),
      findInputs(reader, { runIds: ids }),
    ]);
    const metrics = withExpiredLatest(runs, latest, summaries);
    const inputsOf = new Map<string, InputView[]>();
    for (const input of inputs) inputsOf.set(input.runId, [...(inputsOf.get(input.runId) ?? []), input]);
    return runs.map((run) =>
      runJson(run, {
        params: params.get(run.runId) ?? [],
        tags: tags.get(run.runId) ?? [],
        metrics: metrics.get(run.runId) ?? [],
        inputs: inputsOf.get(run.runId) ?? [],
      }),
    );
  }
}

/**
 * A series whose raw points the experiment's retention dropped still has its summary: its last value and step come
 * from there (the time is the run's last known one), so a metric never vanishes from a run that search still finds.
 */
function withExpiredLatest(
  runs: readonly RunView[],
  latest: Map<string, (LoggedPoint & { key: string })[]>,
  summaries: Map<string, Omit<MetricSummaryView, never>[]>,
): Map<string, (LoggedPoint & { key: string })[]> {
  const merged = new Map(latest);
  for (const run of runs) {
    const points = [...(latest.get(run.runId) ?? [])];
    const known = new Set(points.map((point) => point.key));
    for (const summary of summaries.get(run.runId) ?? []) {
      if (known.has(summary.key)) continue;
      points.push({
        key: summary.key,
        value: summary.last,
        step: summary.lastStep,
        timestamp: run.endTime ?? run.startTime,
      });
    }
    points.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    merged.set(run.runId, points);
  }
  return merged;
}
