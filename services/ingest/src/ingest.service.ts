import { Inject, Injectable } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import { newEventId, TOPICS } from '../../../libs/events/src/envelope';
import {
  countPoints,
  streams,
  type DomainEvent,
  type ExperimentEvent,
  type RunLifecycleEvent,
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
  decideSweep,
  evolveSweep,
  initialSweepState,
  type SweepState,
} from '../../../libs/domain/src/sweep/sweep.decider';
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
import { LivenessTracker } from './liveness';
import type {
  BareBody,
  CreateExperimentBody,
  CreateRunBody,
  CreateSweepBody,
  LogInputsBody,
  RenameBody,
  SetNoteBody,
  StartRunBody,
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
const DERIVED_EVENT_ID_NAMESPACE = '3b0c4f8e-2d1a-4e6b-9c7d-5a8e1f2b3c4d';

/** Load the stream → decide → append with the expected version; the log is the only state. */
@Injectable()
export class IngestService {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly liveness: LivenessTracker,
  ) {
    liveness.onStale = async (runId, lastSeenAt, timeoutMs) => {
      await this.markStale(runId, lastSeenAt, timeoutMs);
    };
  }

  async createExperiment(caller: Caller, body: CreateExperimentBody) {
    const eventId = body.eventId ?? newEventId();
    const experimentId = body.experimentId ?? eventId;
    const command: ExperimentCommand = { type: 'CreateExperiment', data: { experimentId, name: body.name } };
    const ack = await this.experimentCommand(experimentId, eventId, caller, body, command);
    return { experimentId, ...ack };
  }

  renameExperiment(caller: Caller, experimentId: string, body: RenameBody) {
    const command: ExperimentCommand = { type: 'RenameExperiment', data: { experimentId, name: body.name } };
    return this.experimentCommand(experimentId, body.eventId ?? newEventId(), caller, body, command);
  }

  archiveExperiment(caller: Caller, experimentId: string, body: BareBody) {
    const command: ExperimentCommand = { type: 'ArchiveExperiment', data: { experimentId } };
    return this.experimentCommand(experimentId, body.eventId ?? newEventId(), caller, body, command);
  }

  restoreExperiment(caller: Caller, experimentId: string, body: BareBody) {
    const command: ExperimentCommand = { type: 'RestoreExperiment', data: { experimentId } };
    return this.experimentCommand(experimentId, body.eventId ?? newEventId(), caller, body, command);
  }

  private experimentCommand(
    experimentId: string,
    eventId: string,
    caller: Caller,
    body: { occurredAt?: string },
    command: ExperimentCommand,
  ): Promise<Acknowledgement> {
    return this.handle(streams.experiment(experimentId), TOPICS.lifecycle, eventId, caller, body, (slice) =>
      decideExperiment(command, foldExperiment(slice)),
    );
  }

  async createSweep(caller: Caller, body: CreateSweepBody) {
    const eventId = body.eventId ?? newEventId();
    const sweepId = body.sweepId ?? eventId;
    const experiment = await this.experimentStatus(body.experimentId);
    const ack = await this.handle(streams.sweep(sweepId), TOPICS.lifecycle, eventId, caller, body, (slice) =>
      decideSweep(
        {
          type: 'CreateSweep',
          data: {
            sweepId,
            experimentId: body.experimentId,
            name: body.name ?? '',
            method: body.method ?? 'manual',
            searchSpace: body.searchSpace,
            objective: body.objective ?? null,
            experiment,
          },
        },
        foldSweep(slice),
      ),
    );
    return { sweepId, ...ack };
  }

  /**
   * The experiment, sweep and parent are other streams, read before deciding: in a scaled-out deployment they may
   * have been written by another ingest process, whose writes the log has caught up to by the time they are read.
   */
  async createRun(caller: Caller, body: CreateRunBody) {
    const eventId = body.eventId ?? newEventId();
    const runId = body.runId ?? eventId;
    const sweepId = body.sweepId ?? null;
    const parentRunId = body.parentRunId ?? null;
    const [experiment, sweep, parent] = await Promise.all([
      this.experimentStatus(body.experimentId),
      sweepId === null ? initialSweepState : this.log.readStream(streams.sweep(sweepId)).then(foldSweep),
      parentRunId === null ? initialRunState : this.log.readStream(streams.run(parentRunId)).then(foldRun),
    ]);
    const ack = await this.runCommand(runId, eventId, caller, body, (now) => ({
      type: 'CreateRun',
      data: {
        runId,
        experimentId: body.experimentId,
        name: body.name ?? '',
        queued: body.queued ?? false,
        sweepId,
        parentRunId,
        context: body.context ?? null,
        lookups: {
          experiment,
          sweepExperimentId: sweep.status === 'absent' ? null : sweep.experimentId,
          parentExists: parent.status !== 'absent',
        },
      },
      metadata: { now },
    }));
    if (!body.queued) this.liveness.seen(runId);
    return { runId, ...ack };
  }

  private async experimentStatus(experimentId: string): Promise<ExperimentState['status']> {
    return foldExperiment(await this.log.readStream(streams.experiment(experimentId))).status;
  }

  startRun(caller: Caller, runId: string, body: StartRunBody) {
    return this.heardFrom(
      runId,
      this.simpleRunCommand(caller, runId, body, {
        type: 'StartRun',
        data: { runId, context: body.context ?? null },
      }),
    );
  }

  renameRun(caller: Caller, runId: string, body: RenameBody) {
    return this.simpleRunCommand(caller, runId, body, {
      type: 'RenameRun',
      data: { runId, name: body.name },
    });
  }

  deleteRun(caller: Caller, runId: string, body: BareBody) {
    return this.ended(
      runId,
      this.simpleRunCommand(caller, runId, body, { type: 'DeleteRun', data: { runId } }),
    );
  }

  /** Once the run has ended (or was deleted), there is nothing left to watch for silence. */
  private async ended<T>(runId: string, done: Promise<T>): Promise<T> {
    const result = await done;
    this.liveness.forget(runId);
    return result;
  }

  /**
   * The run's client was heard from, counted only once the command succeeded: a write to an unknown run must not
   * make the tracker watch an id that anyone may invent.
   */
  private async heardFrom<T>(runId: string, done: Promise<T>): Promise<T> {
    const result = await done;
    this.liveness.seen(runId);
    return result;
  }

  /** A restored run is watched again; if it is not running, the tracker's mark is dropped by the decider. */
  restoreRun(caller: Caller, runId: string, body: BareBody) {
    return this.heardFrom(
      runId,
      this.simpleRunCommand(caller, runId, body, { type: 'RestoreRun', data: { runId } }),
    );
  }

  setNote(caller: Caller, runId: string, body: SetNoteBody) {
    return this.simpleRunCommand(caller, runId, body, { type: 'SetNote', data: { runId, note: body.note } });
  }

  logInputs(caller: Caller, runId: string, body: LogInputsBody) {
    const inputs = body.inputs.map((input) => ({
      name: input.name,
      digest: input.digest,
      source: input.source ?? null,
      split: input.split ?? null,
      rows: input.rows ?? null,
      schemaDigest: input.schemaDigest ?? null,
    }));
    return this.heardFrom(
      runId,
      this.simpleRunCommand(caller, runId, body, { type: 'LogInputs', data: { runId, inputs } }),
    );
  }

  /** The client is alive. Records nothing unless the run was marked stale, which it then resumes. */
  heartbeat(caller: Caller, runId: string, body: BareBody) {
    return this.heardFrom(
      runId,
      this.simpleRunCommand(caller, runId, body, { type: 'Heartbeat', data: { runId } }),
    );
  }

  /** Called by the liveness tracker for a run silent past the timeout; the decider drops it if the run moved on. */
  markStale(runId: string, lastSeenAt: number, timeoutMs: number) {
    return this.simpleRunCommand(
      { workspace: 'system', actor: 'runlog:liveness' },
      runId,
      {},
      { type: 'MarkStale', data: { runId, lastSeenAt, timeoutMs } },
    );
  }

  private simpleRunCommand(
    caller: Caller,
    runId: string,
    body: { eventId?: string; occurredAt?: string },
    command: DistributiveOmit<RunCommand, 'metadata'>,
  ) {
    return this.runCommand(
      runId,
      body.eventId ?? newEventId(),
      caller,
      body,
      (now) =>
        ({
          ...command,
          metadata: { now },
        }) as RunCommand,
    );
  }

  logParams(caller: Caller, runId: string, body: LogParamsBody) {
    const params = Object.fromEntries(
      Object.entries(body.params).map(([key, value]) => [key, String(value)]),
    );
    return this.heardFrom(
      runId,
      this.simpleRunCommand(caller, runId, body, { type: 'LogParams', data: { runId, params } }),
    );
  }

  setTags(caller: Caller, runId: string, body: SetTagsBody) {
    return this.simpleRunCommand(caller, runId, body, { type: 'SetTags', data: { runId, tags: body.tags } });
  }

  deleteTags(caller: Caller, runId: string, body: DeleteTagsBody) {
    return this.simpleRunCommand(caller, runId, body, {
      type: 'DeleteTags',
      data: { runId, keys: body.keys },
    });
  }

  finishRun(caller: Caller, runId: string, body: FinishRunBody) {
    return this.ended(
      runId,
      this.simpleRunCommand(caller, runId, body, { type: 'FinishRun', data: { runId } }),
    );
  }

  failRun(caller: Caller, runId: string, body: FailRunBody) {
    return this.ended(
      runId,
      this.simpleRunCommand(caller, runId, body, {
        type: 'FailRun',
        data: { runId, reason: body.reason, stackTrace: body.stackTrace ?? null },
      }),
    );
  }

  killRun(caller: Caller, runId: string, body: KillRunBody) {
    return this.ended(
      runId,
      this.simpleRunCommand(caller, runId, body, {
        type: 'KillRun',
        data: { runId, reason: body.reason ?? null },
      }),
    );
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
    const command: RunCommand = {
      type: 'LogMetrics',
      data: { runId, series: body.metrics },
      metadata: { now: this.clock().getTime() },
    };
    const run = foldRun(await this.log.readStream(streams.run(runId)));
    if (run.status === 'stale') {
      // Back from silence: record the resume on the run's stream first, then take the points as usual.
      await this.runCommand(runId, newEventId(), caller, body, () => ({
        type: 'Heartbeat',
        data: { runId },
        metadata: command.metadata,
      }));
    }
    const [event] = decideRun(command, run.status === 'stale' ? { ...run, status: 'running' } : run);
    const result = await this.log.appendToStream(TOPICS.metrics, streams.metrics(runId), [
      this.toNewEvent(event, eventId, caller, body.occurredAt),
    ]);
    this.liveness.seen(runId);
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
      // The client's id goes on the event the command is about, which a retry looks for; a resume decided ahead
      // of it gets an id derived from it. Should a large append land only in part (Kafka splits sends), the retry
      // then finds the resume in place and its own event missing, and appends just that.
      const primary = Math.max(
        0,
        decided.findIndex((event) => event.type !== 'run.resumed'),
      );
      const events = decided.map((event, index) =>
        this.toNewEvent(
          event,
          index === primary ? eventId : uuidv5(`${eventId}/${index}`, DERIVED_EVENT_ID_NAMESPACE),
          caller,
          body.occurredAt,
        ),
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
    if (event.type.startsWith('experiment.'))
      state = evolveExperiment(state, event as DomainEvent<ExperimentEvent>);
  }
  return state;
}

function foldSweep(slice: StreamSlice): SweepState {
  let state = initialSweepState;
  for (const envelope of slice.events) {
    const event = upcast(envelope);
    if (event.type === 'sweep.created') state = evolveSweep(state, event);
  }
  return state;
}

export function foldRun(slice: StreamSlice): RunState {
  let state = initialRunState;
  for (const envelope of slice.events) {
    const event = upcast(envelope);
    if (event.type.startsWith('run.')) state = evolveRun(state, event as DomainEvent<RunLifecycleEvent>);
  }
  return state;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
