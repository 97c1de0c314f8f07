import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  childrenOf,
  findInputs,
  getLatestMetricPoints,
  getRunParams,
  getRuns,
  getRunTags,
  inReadScope,
  type InputView,
  type RunView,
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
    const [params, tags, metrics, inputs] = await Promise.all([
      getRunParams(reader, ids),
      getRunTags(reader, ids),
      getLatestMetricPoints(reader, ids),
      findInputs(reader, { runIds: ids }),
    ]);
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
