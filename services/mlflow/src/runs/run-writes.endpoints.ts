import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { RunView } from '../../../../libs/store/src';
import { ExperimentsEndpoints } from '../experiments/experiments.endpoints';
import { MlflowBackend } from '../protocol/mlflow-backend';
import type { MlflowEndpoint, MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { ID_PATTERN } from '../../../../libs/events/src/event-schemas';
import { MAX_STORABLE_MILLIS, MIN_STORABLE_MILLIS } from '../../../../libs/events/src/storable';
import { invalid, MlflowError, notFound } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';
import { newEventId, newRunId, newRunName } from '../protocol/mlflow-ids';
import {
  batchOf,
  checkUserTagKey,
  columnar,
  metricOf,
  paramOf,
  tagOf,
  type KeyValue,
  type LoggedMetric,
} from './batch-limits';
import { OUTPUT_STEP_TAG } from '../models/logged-model-json';
import { nativeInputsOf } from './dataset-inputs';
import { PARENT_RUN_TAG, RUN_NAME_TAG, runInfoJson, USER_TAG } from './run-json';
import { RunReads } from './run-reads';

/** MLflow's RunStatus values a runs/update may set, as the native command that ends a run that way. */
const ENDING: Record<string, { action: 'finish' | 'fail' | 'kill'; status: string; body: object }> = {
  FINISHED: { action: 'finish', status: 'finished', body: {} },
  FAILED: { action: 'fail', status: 'failed', body: { reason: 'marked FAILED through the MLflow API' } },
  KILLED: { action: 'kill', status: 'killed', body: { reason: 'marked KILLED through the MLflow API' } },
};
const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

/** A client time as the native occurredAt; one Runlog cannot store is refused naming the field. */
function occurredAt(field: string, ms: number | undefined): { occurredAt?: string } {
  if (ms === undefined) return {};
  if (ms < MIN_STORABLE_MILLIS || ms > MAX_STORABLE_MILLIS) {
    throw invalid(
      `Invalid value ${ms} for parameter '${field}': it must be epoch milliseconds from ${MIN_STORABLE_MILLIS} to ${MAX_STORABLE_MILLIS}`,
    );
  }
  return { occurredAt: new Date(ms).toISOString() };
}

/** Run lifecycle and logging: each MLflow call is one or a few native commands on the run's stream. */
@Injectable()
export class RunWritesEndpoints implements MlflowEndpoints {
  constructor(
    private readonly backend: MlflowBackend,
    private readonly reads: RunReads,
    private readonly experiments: ExperimentsEndpoints,
  ) {}

  /** MLflow answers a delete of a tag the run does not have, or of a deleted run's, with an error; so does this. */
  private async deleteTag(fields: MlflowFields, request: Request) {
    const runId = runIdOf(fields);
    const key = checkUserTagKey(fields.required('key'));
    const run = await this.reads.view(request, runId);
    if (run.deleted)
      throw invalid(`The run ${runId} must be in the 'active' state. Current state is deleted.`);
    if (!(await this.reads.tags(runId)).some((tag) => tag.key === key))
      throw invalid(`No tag with name: ${key} in run with id ${runId}`);
    return this.command(request, runId, 'POST', '/tags/delete', { keys: [key] });
  }

  endpoints(): MlflowEndpoint[] {
    const post = (
      path: string,
      handle: (fields: MlflowFields, request: Request) => Promise<object>,
    ): MlflowEndpoint => ({
      methods: ['POST'],
      path,
      handle: ({ fields, request }) => handle(fields, request),
    });
    return [
      post('runs/create', (fields, request) => this.create(fields, request)),
      post('runs/update', (fields, request) => this.update(fields, request)),
      post('runs/delete', (fields, request) => this.command(request, runIdOf(fields), 'DELETE', '', {})),
      post('runs/restore', (fields, request) =>
        this.command(request, runIdOf(fields), 'POST', '/restore', {}),
      ),
      post('runs/log-metric', (fields, request) =>
        this.logMetrics(request, runIdOf(fields), [metricOf(fields)]),
      ),
      post('runs/log-parameter', (fields, request) =>
        this.logParams(request, runIdOf(fields), [paramOf(fields)]),
      ),
      post('runs/set-tag', (fields, request) => this.setTags(request, runIdOf(fields), [tagOf(fields)])),
      post('runs/delete-tag', (fields, request) => this.deleteTag(fields, request)),
      post('runs/log-inputs', async (fields, request) => {
        const runId = runIdOf(fields);
        const inputs = nativeInputsOf(fields);
        return inputs.length === 0 ? {} : this.command(request, runId, 'POST', '/inputs', { inputs });
      }),
      post('runs/outputs', async (fields, request) => {
        const runId = runIdOf(fields);
        // A logged model's source run is its parent already; the step it was output at is a tag of the model.
        for (const output of fields.messages('models')) {
          const modelId = output.required('model_id');
          const model = await this.reads.view(request, modelId);
          if (model.parentRunId !== runId)
            throw invalid(`Logged model ${modelId} was not logged by run ${runId}`);
          await this.setTags(request, modelId, [
            { key: OUTPUT_STEP_TAG, value: String(output.int64('step') ?? 0) },
          ]);
        }
        return {};
      }),
      post('runs/log-batch', async (fields, request) => {
        const runId = runIdOf(fields);
        const { metrics, params, tags } = batchOf(fields);
        // MLflow's order: params (which may conflict), then metrics, then tags.
        await this.logParams(request, runId, params);
        await this.logMetrics(request, runId, metrics);
        await this.setTags(request, runId, tags);
        return {};
      }),
    ];
  }

  private async create(fields: MlflowFields, request: Request) {
    const experimentId = fields.string('experiment_id') ?? '0';
    await this.experiments.ensureDefaultFor(request, experimentId);
    const tags = fields.messages('tags').map(tagOf);
    const tagged = (key: string) => tags.find((tag) => tag.key === key)?.value;
    const runName = fields.string('run_name');
    if (runName !== undefined && tagged(RUN_NAME_TAG) !== undefined && tagged(RUN_NAME_TAG) !== runName) {
      throw invalid(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${tagged(RUN_NAME_TAG)}').`,
      );
    }
    const name = runName ?? tagged(RUN_NAME_TAG) ?? newRunName();
    const startTime = fields.int64('start_time') ?? Date.now();
    const user = fields.string('user_id') ?? tagged(USER_TAG);
    let parentRunId = tagged(PARENT_RUN_TAG);
    const runId = newRunId();
    const createRun = (parent: string | undefined) =>
      this.backend.write(request, 'POST', '/api/v1/runs', {
        eventId: newEventId(),
        runId,
        experimentId,
        name,
        ...(parent ? { parentRunId: parent } : {}),
        ...(user ? { context: { user: user.slice(0, 256) } } : {}),
        ...occurredAt('start_time', startTime),
      });
    try {
      await createRun(parentRunId);
    } catch (error) {
      // MLflow keeps a parent tag that names no run as a plain tag; so does the dialect (the run has no parent).
      const noParent =
        error instanceof MlflowError &&
        error.code === 'RESOURCE_DOES_NOT_EXIST' &&
        /parent/i.test(error.message);
      if (!parentRunId || !noParent) throw error;
      parentRunId = undefined;
      await createRun(undefined);
    }
    const stored = tags.filter((tag) => tag.key !== RUN_NAME_TAG);
    await this.setTags(request, runId, stored);
    const run: RunView = {
      runId,
      experimentId,
      name,
      status: 'running',
      startTime,
      endTime: null,
      failureReason: null,
      createdAt: startTime,
      sweepId: null,
      parentRunId: parentRunId ?? null,
      deleted: false,
      note: '',
      stackTrace: null,
      context: user ? { user } : null,
      started: true,
      workspace: '',
    };
    const allTags = [...stored, { key: RUN_NAME_TAG, value: name }];
    return {
      run: {
        info: runInfoJson(run, allTags),
        data: { metrics: [], params: [], tags: allTags },
        inputs: {},
      },
    };
  }

  private async update(fields: MlflowFields, request: Request) {
    const runId = runIdOf(fields);
    const status = fields.string('status')?.toUpperCase();
    if (status !== undefined && !RUN_STATUSES.includes(status))
      throw invalid(`Invalid value '${status}' for parameter 'status'.`);
    const name = fields.string('run_name');
    const endTime = fields.int64('end_time');
    let run = await this.reads.view(request, runId);
    if (name !== undefined && name !== run.name) {
      await this.command(request, runId, 'POST', '/rename', { name });
    }
    const ending = status === undefined ? undefined : ENDING[status];
    if (ending && run.status !== ending.status) {
      await this.command(request, runId, 'POST', `/${ending.action}`, {
        ...ending.body,
        ...occurredAt('end_time', endTime),
      });
    }
    run = await this.reads.view(request, runId);
    return { run_info: (await this.reads.whole([run]))[0].info };
  }

  private async logMetrics(request: Request, runId: string, metrics: readonly LoggedMetric[]) {
    const byTarget = new Map<string, LoggedMetric[]>();
    for (const metric of metrics) {
      const target = metric.modelId ?? runId;
      byTarget.set(target, [...(byTarget.get(target) ?? []), metric]);
    }
    for (const [target, points] of byTarget) {
      await this.command(request, target, 'POST', '/metrics', { metrics: columnar(points) });
    }
    return {};
  }

  private async logParams(request: Request, runId: string, params: readonly KeyValue[]) {
    if (params.length === 0) return {};
    return this.command(request, runId, 'POST', '/params', {
      params: Object.fromEntries(params.map(({ key, value }) => [key, value])),
    });
  }

  private async setTags(request: Request, runId: string, tags: readonly KeyValue[]) {
    if (tags.length === 0) return {};
    const renamed = tags.findLast((tag) => tag.key === RUN_NAME_TAG);
    // MLflow keeps the run's name in this tag: setting it renames the run.
    if (renamed) await this.command(request, runId, 'POST', '/rename', { name: renamed.value });
    const rest = tags.filter((tag) => tag.key !== RUN_NAME_TAG);
    if (rest.length === 0) return {};
    return this.command(request, runId, 'POST', '/tags', {
      tags: Object.fromEntries(rest.map(({ key, value }) => [key, value])),
    });
  }

  private async command(
    request: Request,
    runId: string,
    method: 'POST' | 'DELETE',
    action: string,
    body: object,
  ) {
    await this.backend.write(request, method, `/api/v1/runs/${encodeURIComponent(runId)}${action}`, {
      eventId: newEventId(),
      ...body,
    });
    return {};
  }
}

/** run_id, or the deprecated run_uuid older clients send. */
export function runIdOf(fields: MlflowFields): string {
  const runId = fields.requiredOneOf('run_id', 'run_uuid');
  // Run ids are plain (MLflow's own pattern is looser): anything else names no run, and never reaches a URL.
  if (!RUN_ID.test(runId)) throw notFound(`Run with id=${JSON.stringify(runId.slice(0, 100))} not found`);
  return runId;
}

const RUN_ID = new RegExp(ID_PATTERN);
