import { Inject, Injectable } from '@nestjs/common';
import { newEventId, TOPICS } from '../../../libs/events/src/envelope';
import {
  countPoints,
  streams,
  type DomainEvent,
  type RunlogEvent,
} from '../../../libs/events/src/run.events';
import { upcast } from '../../../libs/events/src/upcasters';
import {
  decideExperiment,
  evolveExperiment,
  initialExperimentState,
  type ExperimentCommand,
  type ExperimentState,
} from '../../../libs/domain/src/experiment/experiment.decider';
import {
  decideRun,
  evolveRun,
  initialRunState,
  type ArtifactRef,
  type RunCommand,
  type RunState,
} from '../../../libs/domain/src/run/run.decider';
import { NotFoundError } from '../../../libs/domain/src/errors';
import {
  EVENT_LOG,
  LogConcurrencyError,
  type EventLog,
  type StreamSlice,
} from '../../../libs/log/src/event-log';
import { checkMetricColumns } from './metric-batch';
import type {
  CreateExperimentBody,
  CreateRunBody,
  DeleteTagsBody,
  FailRunBody,
  FinishRunBody,
  KillRunBody,
  LogMetricsBody,
  LogParamsBody,
  SetTagsBody,
} from './ingest.schemas';

/** Who is writing: from the request's headers, stamped on every event. */
export interface Caller {
  workspace: string;
  actor: string;
}

export interface Acknowledgement {
  eventIds: string[];
  /** False when the eventId was already in the log: a retry, acknowledged again, nothing appended. */
  appended: boolean;
}

export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;

const MAX_CONFLICT_RETRIES = 3;

/** Load the stream → decide → append with the expected version; the log is the only state. */
@Injectable()
export class IngestService {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async createExperiment(caller: Caller, body: CreateExperimentBody) {
    const eventId = body.eventId ?? newEventId();
    const experimentId = body.experimentId ?? eventId;
    const command: ExperimentCommand = { type: 'CreateExperiment', data: { experimentId, name: body.name } };
    const ack = await this.handle(
      streams.experiment(experimentId),
      TOPICS.lifecycle,
      eventId,
      caller,
      body,
      (slice) => decideExperiment(command, foldExperiment(slice)),
    );
    return { experimentId, ...ack };
  }

  async createRun(caller: Caller, body: CreateRunBody) {
    const eventId = body.eventId ?? newEventId();
    const runId = body.runId ?? eventId;
    const experiment = await this.log.readStream(streams.experiment(body.experimentId));
    const ack = await this.runCommand(runId, eventId, caller, body, (now) => ({
      type: 'CreateRun',
      data: {
        runId,
        experimentId: body.experimentId,
        name: body.name ?? '',
        experimentExists: experiment.version > 0,
      },
      metadata: { now },
    }));
    return { runId, ...ack };
  }

  logParams(caller: Caller, runId: string, body: LogParamsBody) {
    const params = Object.fromEntries(
      Object.entries(body.params).map(([key, value]) => [key, String(value)]),
    );
    return this.runCommand(runId, body.eventId ?? newEventId(), caller, body, (now) => ({
      type: 'LogParams',
      data: { runId, params },
      metadata: { now },
    }));
  }

  setTags(caller: Caller, runId: string, body: SetTagsBody) {
    return this.runCommand(runId, body.eventId ?? newEventId(), caller, body, (now) => ({
      type: 'SetTags',
      data: { runId, tags: body.tags },
      metadata: { now },
    }));
  }

  deleteTags(caller: Caller, runId: string, body: DeleteTagsBody) {
    return this.runCommand(runId, body.eventId ?? newEventId(), caller, body, (now) => ({
      type: 'DeleteTags',
      data: { runId, keys: body.keys },
      metadata: { now },
    }));
  }

  finishRun(caller: Caller, runId: string, body: FinishRunBody) {
    return this.runCommand(runId, body.eventId ?? newEventId(), caller, body, (now) => ({
      type: 'FinishRun',
      data: { runId },
      metadata: { now },
    }));
  }

  failRun(caller: Caller, runId: string, body: FailRunBody) {
    return this.runCommand(runId, body.eventId ?? newEventId(), caller, body, (now) => ({
      type: 'FailRun',
      data: { runId, reason: body.reason },
      metadata: { now },
    }));
  }

  killRun(caller: Caller, runId: string, body: KillRunBody) {
    return this.runCommand(runId, body.eventId ?? newEventId(), caller, body, (now) => ({
      type: 'KillRun',
      data: { runId, reason: body.reason ?? null },
      metadata: { now },
    }));
  }

  /**
   * Refuses an upload to a run that does not accept artifacts (404 unknown, 409 ended) before a byte is stored,
   * by the same rule the append applies afterwards.
   */
  async precheckArtifact(runId: string, path: string): Promise<void> {
    const run = foldRun(await this.log.readStream(streams.run(runId)));
    const probe = { size: 0, digest: '', contentType: '' };
    decideRun({ type: 'LogArtifact', data: { runId, path, ...probe }, metadata: { now: 0 } }, run);
  }

  /** Records content already in the artifact store under a path of the run. */
  logArtifact(caller: Caller, runId: string, path: string, ref: ArtifactRef) {
    return this.runCommand(runId, newEventId(), caller, {}, (now) => ({
      type: 'LogArtifact',
      data: { runId, path, ...ref },
      metadata: { now },
    }));
  }

  /** The run's artifacts (latest upload per path), sorted by path, optionally under a folder prefix. */
  async listArtifacts(runId: string, prefix = ''): Promise<({ path: string } & ArtifactRef)[]> {
    const run = foldRun(await this.log.readStream(streams.run(runId)));
    if (run.status === 'absent') throw new NotFoundError(`run ${runId} does not exist`, 'runId');
    return Object.entries(run.artifacts)
      .filter(([path]) => path.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, ref]) => ({ path, ...ref }));
  }

  async findArtifact(runId: string, path: string): Promise<ArtifactRef> {
    const run = foldRun(await this.log.readStream(streams.run(runId)));
    if (run.status === 'absent') throw new NotFoundError(`run ${runId} does not exist`, 'runId');
    if (!Object.hasOwn(run.artifacts, path)) {
      throw new NotFoundError(`run ${runId} has no artifact at ${JSON.stringify(path)}`, 'path');
    }
    return run.artifacts[path];
  }

  /**
   * Metric batches go to their own topic and stream (`metrics:<runId>`), so a sweep's points never queue behind
   * lifecycle events. The run's stream is read only to check it accepts metrics.
   */
  async logMetrics(caller: Caller, runId: string, body: LogMetricsBody) {
    checkMetricColumns(body.metrics);
    const eventId = body.eventId ?? newEventId();
    const run = await this.log.readStream(streams.run(runId));
    const [event] = decideRun(
      {
        type: 'LogMetrics',
        data: { runId, series: body.metrics },
        metadata: { now: this.clock().getTime() },
      },
      foldRun(run),
    );
    const result = await this.log.appendToStream(TOPICS.metrics, streams.metrics(runId), [
      this.toNewEvent(event, eventId, caller, body.occurredAt),
    ]);
    return {
      eventIds: [eventId],
      appended: result.appended.length > 0,
      points: event.type === 'metrics.logged' ? countPoints(event.payload) : 0,
    };
  }

  private runCommand(
    runId: string,
    eventId: string,
    caller: Caller,
    body: { occurredAt?: string },
    command: (now: number) => RunCommand,
  ): Promise<Acknowledgement> {
    return this.handle(streams.run(runId), TOPICS.lifecycle, eventId, caller, body, (slice) =>
      decideRun(command(this.clock().getTime()), foldRun(slice)),
    );
  }

  private async handle(
    stream: string,
    topic: string,
    eventId: string,
    caller: Caller,
    body: { occurredAt?: string },
    decide: (slice: StreamSlice) => DomainEvent<RunlogEvent>[],
  ): Promise<Acknowledgement> {
    for (let attempt = 0; ; attempt++) {
      const slice = await this.log.readStream(stream);
      if (slice.events.some((event) => event.id === eventId)) {
        return { eventIds: [eventId], appended: false };
      }
      const decided = decide(slice);
      if (decided.length === 0) return { eventIds: [], appended: false };
      const events = decided.map((event, index) =>
        this.toNewEvent(event, index === 0 ? eventId : newEventId(), caller, body.occurredAt),
      );
      try {
        await this.log.appendToStream(topic, stream, events, { expectedVersion: slice.version });
        return { eventIds: events.map((event) => event.id), appended: true };
      } catch (error) {
        if (!(error instanceof LogConcurrencyError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  private toNewEvent(event: DomainEvent, id: string, caller: Caller, occurredAt: string | undefined) {
    return {
      id,
      type: event.type,
      v: event.v,
      workspace: caller.workspace,
      actor: caller.actor,
      occurredAt: occurredAt ?? this.clock().toISOString(),
      payload: event.payload,
    };
  }
}

function foldExperiment(slice: StreamSlice): ExperimentState {
  let state = initialExperimentState;
  for (const envelope of slice.events) {
    const event = upcast(envelope);
    if (event.type === 'experiment.created') state = evolveExperiment(state, event);
  }
  return state;
}

function foldRun(slice: StreamSlice): RunState {
  let state = initialRunState;
  for (const envelope of slice.events) {
    const event = upcast(envelope);
    if (event.type !== 'experiment.created' && event.type !== 'metrics.logged')
      state = evolveRun(state, event);
  }
  return state;
}
