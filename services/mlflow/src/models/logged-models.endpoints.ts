import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { randomBytes } from 'node:crypto';
import {
  getLatestMetricPoints,
  getRunParams,
  getRuns,
  getRunTags,
  inReadScope,
  searchRuns,
  type RunView,
} from '../../../../libs/store/src';
import { ExperimentsEndpoints } from '../experiments/experiments.endpoints';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { endpointAt, type MlflowEndpoint, type MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid, notFound } from '../protocol/mlflow-error';
import { offsetOf, offsetToken, type MlflowFields } from '../protocol/mlflow-fields';
import { newEventId, newRunName } from '../protocol/mlflow-ids';
import { checkUserTagKey, paramOf, tagOf, type KeyValue } from '../runs/batch-limits';
import { isLoggedModel, LOGGED_MODEL_TAG, loggedModelJson, MODEL_TYPE_TAG } from './logged-model-json';

const FINAL_STATUS: Record<string, { action: string; body: object }> = {
  LOGGED_MODEL_READY: { action: 'finish', body: {} },
  LOGGED_MODEL_UPLOAD_FAILED: { action: 'fail', body: { reason: 'the model upload failed (MLflow client)' } },
};
const SEARCH_LIMIT = 10_000;

/** A logged-models search clause Runlog answers: name, model_id, source_run_id, status with = or !=. */
function modelFilter(filter: string | undefined): (model: ReturnType<typeof loggedModelJson>) => boolean {
  if (filter === undefined || filter.trim() === '') return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((text) => {
    const match =
      /^\s*(?:attributes\.)?`?(name|model_id|source_run_id|status)`?\s*(=|!=)\s*'((?:[^']|'')*)'\s*$/i.exec(
        text,
      );
    if (!match)
      throw invalid(
        `Invalid filter '${filter}': Runlog answers name, model_id, source_run_id and status with = or != here`,
      );
    const [, field, op, raw] = match;
    const value = raw.replaceAll("''", "'");
    return (model: ReturnType<typeof loggedModelJson>) =>
      (String((model.info as Record<string, unknown>)[field.toLowerCase()] ?? '') === value) === (op === '=');
  });
  return (model) => clauses.every((clause) => clause(model));
}

/**
 * MLflow 3's logged models, kept as Runlog runs: a model has what a run has (an experiment, a name, a status,
 * params, tags, metrics, an artifact tree) and comes from a run, which becomes its parent. Its id is the run's id
 * (`m-<32 hex>`), a tag marks it, and its artifact URI is the run's, so the client uploads its files through the
 * proxy like any run's and the registry registers its MLmodel. MLflow's runs/search leaves these runs out; Runlog's
 * own views show them as the source run's children.
 */
@Injectable()
export class LoggedModelsEndpoints implements MlflowEndpoints {
  constructor(
    private readonly backend: MlflowBackend,
    private readonly experiments: ExperimentsEndpoints,
  ) {}

  endpoints(): MlflowEndpoint[] {
    const at = endpointAt;
    return [
      at(['POST'], 'logged-models', (fields, request) => this.create(fields, request)),
      at(['POST'], 'logged-models/search', (fields, request) => this.search(fields, request)),
      at(['GET'], 'logged-models/{modelId}', async (_fields, request, { modelId }) => ({
        model: await this.model(request, modelId),
      })),
      at(['PATCH'], 'logged-models/{modelId}', async (fields, request, { modelId }) => {
        const status = fields.required('status');
        const final = FINAL_STATUS[status];
        if (!final)
          throw invalid(
            `Invalid logged model status '${status}': LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED`,
          );
        const before = await this.model(request, modelId);
        if (before.info.status !== status)
          await this.command(request, modelId, `/${final.action}`, final.body);
        return { model: await this.model(request, modelId) };
      }),
      at(['DELETE'], 'logged-models/{modelId}', async (_fields, request, { modelId }) => {
        await this.model(request, modelId);
        await this.backend.write(request, 'DELETE', `/api/v1/runs/${encodeURIComponent(modelId)}`, {
          eventId: newEventId(),
        });
        return {};
      }),
      at(['PATCH'], 'logged-models/{modelId}/tags', async (fields, request, { modelId }) => {
        await this.model(request, modelId);
        await this.setTags(request, modelId, fields.messages('tags').map(tagOf));
        return {};
      }),
      at(['DELETE'], 'logged-models/{modelId}/tags/{key}', async (_fields, request, { modelId, key }) => {
        const model = await this.model(request, modelId);
        // MLflow refuses to delete a tag the model has not (the run's own tags delete it without complaint).
        if (!model.info.tags.some((tag) => tag.key === key)) {
          throw notFound(`No tag with key '${key}' found for logged model ${modelId}`);
        }
        await this.command(request, modelId, '/tags/delete', { keys: [checkUserTagKey(key)] });
        return {};
      }),
      at(['POST'], 'logged-models/{modelId}/params', async (fields, request, { modelId }) => {
        await this.model(request, modelId);
        await this.logParams(request, modelId, fields.messages('params').map(paramOf));
        return {};
      }),
    ];
  }

  private async create(fields: MlflowFields, request: Request) {
    const experimentId = fields.required('experiment_id');
    // The client logs a model before anything else on a fresh server: Default is made on first use here too.
    await this.experiments.ensureDefaultFor(request, experimentId);
    const modelId = `m-${randomBytes(16).toString('hex')}`;
    const sourceRunId = fields.string('source_run_id');
    const modelType = fields.string('model_type');
    await this.backend.write(request, 'POST', '/api/v1/runs', {
      eventId: newEventId(),
      runId: modelId,
      experimentId,
      name: fields.string('name') ?? newRunName(),
      ...(sourceRunId ? { parentRunId: sourceRunId } : {}),
    });
    const tags: KeyValue[] = [
      { key: LOGGED_MODEL_TAG, value: 'true' },
      ...(modelType ? [{ key: MODEL_TYPE_TAG, value: modelType }] : []),
      ...fields.messages('tags').map(tagOf),
    ];
    await this.setTags(request, modelId, tags);
    await this.logParams(request, modelId, fields.messages('params').map(paramOf));
    return { model: await this.model(request, modelId) };
  }

  /** The logged model, whole, in the caller's scope; a run that is not one, or a deleted one, is not found. */
  async model(request: Request, modelId: string): Promise<ReturnType<typeof loggedModelJson>> {
    const scope = await this.backend.read(request);
    const [run] = await getRuns(this.backend.reader, [modelId]);
    if (run && !run.deleted && inReadScope(scope, run.workspace)) {
      const [model] = await this.whole([run], true);
      if (model) return model;
    }
    throw notFound(`Logged model with ID '${modelId}' not found`);
  }

  private async whole(runs: readonly RunView[], requireMarker: boolean) {
    const ids = runs.map((run) => run.runId);
    const [params, tags, metrics] = await Promise.all([
      getRunParams(this.backend.reader, ids),
      getRunTags(this.backend.reader, ids),
      getLatestMetricPoints(this.backend.reader, ids),
    ]);
    return runs
      .filter((run) => !requireMarker || isLoggedModel(tags.get(run.runId) ?? []))
      .map((run) =>
        loggedModelJson(run, {
          params: params.get(run.runId) ?? [],
          tags: tags.get(run.runId) ?? [],
          metrics: metrics.get(run.runId) ?? [],
        }),
      );
  }

  private async search(fields: MlflowFields, request: Request) {
    const scope = await this.backend.read(request);
    const found = await searchRuns(this.backend.reader, {
      scope: { experimentIds: fields.strings('experiment_ids'), workspaces: scope },
      filter: { kind: 'compare', entity: 'tags', key: LOGGED_MODEL_TAG, op: '=', value: 'true' },
      orderBy: [],
      first: SEARCH_LIMIT,
    });
    const matches = modelFilter(fields.string('filter'));
    const models = (
      await this.whole(
        found.runs.map((entry) => entry.run),
        false,
      )
    ).filter(matches);
    const max = fields.int64('max_results') ?? 100;
    if (max < 1 || max > SEARCH_LIMIT) throw invalid(`max_results must be 1 to ${SEARCH_LIMIT}, got ${max}`);
    const offset = offsetOf(fields.string('page_token'));
    const next = offset + max < models.length ? { next_page_token: offsetToken(offset + max) } : {};
    return { models: models.slice(offset, offset + max), ...next };
  }

  private async setTags(request: Request, modelId: string, tags: readonly KeyValue[]) {
    if (tags.length === 0) return;
    await this.command(request, modelId, '/tags', {
      tags: Object.fromEntries(tags.map(({ key, value }) => [key, value])),
    });
  }

  private async logParams(request: Request, modelId: string, params: readonly KeyValue[]) {
    if (params.length === 0) return;
    await this.command(request, modelId, '/params', {
      params: Object.fromEntries(params.map(({ key, value }) => [key, value])),
    });
  }

  private async command(request: Request, modelId: string, action: string, body: object) {
    await this.backend.write(request, 'POST', `/api/v1/runs/${encodeURIComponent(modelId)}${action}`, {
      eventId: newEventId(),
      ...body,
    });
  }
}
