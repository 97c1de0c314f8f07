import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import { decideRun, type RunCommand } from '../../../../libs/domain/src/run/run.decider';
import { initialSweepState } from '../../../../libs/domain/src/sweep/sweep.decider';
import { foldExperiment, foldRun, foldSweep } from '../../../../libs/domain/src/folds';
import { CommandHandler, type Acknowledgement, type Caller } from '../commands/command-handler';
import { RunWriteGate } from '../commands/run-write-gate';
import { LivenessTracker } from '../liveness';
import type {
  BareBody,
  CreateRunBody,
  DeleteTagsBody,
  FailRunBody,
  FinishRunBody,
  KillRunBody,
  LogInputsBody,
  LogParamsBody,
  RenameBody,
  SetNoteBody,
  SetTagsBody,
  StartRunBody,
} from '../ingest.schemas';

/** What one run.inputs_logged may hold, under the log's record limit with room for its envelope. */
const MAX_INPUTS_BYTES = 900_000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type RunCommandData = DistributiveOmit<RunCommand, 'metadata'>;
type Envelope = { eventId?: string; occurredAt?: string };

/**
 * A run's lifecycle: one small function per command, each through the command handler on the run's stream. Commands
 * that end the run take the run's write gate alone, so they come after every metric batch in flight.
 */
@Injectable()
export class RunLifecycleService {
  constructor(
    private readonly commands: CommandHandler,
    private readonly gate: RunWriteGate,
    private readonly liveness: LivenessTracker,
  ) {
    liveness.onStale = async (runId, lastSeenAt, timeoutMs) => {
      await this.markStale(runId, lastSeenAt, timeoutMs);
    };
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
    // Each read as the caller may see it (another workspace's stream reads as absent); the run goes to its
    // experiment's workspace.
    const seen = (stream: string) => this.commands.readAs(stream, caller);
    const [inExperiment, sweep, parent] = await Promise.all([
      seen(streams.experiment(body.experimentId)),
      sweepId === null ? null : seen(streams.sweep(sweepId)),
      parentRunId === null ? null : seen(streams.run(parentRunId)),
    ]);
    const experiment = foldExperiment(inExperiment.events);
    const ack = await this.run(
      inExperiment.caller,
      runId,
      { ...body, eventId },
      {
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
            experiment: experiment.status,
            sweepExperimentId: sweepExperimentOf(
              sweep === null ? initialSweepState : foldSweep(sweep.events),
            ),
            parentExists: parent !== null && foldRun(parent.events).status !== 'absent',
          },
        },
      },
    );
    if (!body.queued) this.liveness.seen(runId);
    return { runId, ...ack };
  }

  startRun(caller: Caller, runId: string, body: StartRunBody) {
    const data = { runId, context: body.context ?? null };
    return this.heardFrom(runId, this.run(caller, runId, body, { type: 'StartRun', data }));
  }

  renameRun(caller: Caller, runId: string, body: RenameBody) {
    return this.run(caller, runId, body, { type: 'RenameRun', data: { runId, name: body.name } });
  }

  deleteRun(caller: Caller, runId: string, body: BareBody) {
    return this.ending(caller, runId, body, { type: 'DeleteRun', data: { runId } });
  }

  /** A restored run is watched again; if it is not running, the tracker's mark is dropped by the decider. */
  restoreRun(caller: Caller, runId: string, body: BareBody) {
    return this.heardFrom(runId, this.run(caller, runId, body, { type: 'RestoreRun', data: { runId } }));
  }

  setNote(caller: Caller, runId: string, body: SetNoteBody) {
    return this.run(caller, runId, body, { type: 'SetNote', data: { runId, note: body.note } });
  }

  logInputs(caller: Caller, runId: string, body: LogInputsBody) {
    const inputs = body.inputs.map((input) => ({
      name: input.name,
      digest: input.digest,
      source: input.source ?? null,
      split: input.split ?? null,
      rows: input.rows ?? null,
      schemaDigest: input.schemaDigest ?? null,
      ...(input.schema ? { schema: input.schema } : {}),
      ...(input.profile ? { profile: input.profile } : {}),
      ...(input.tags && Object.keys(input.tags).length > 0 ? { tags: input.tags } : {}),
    }));
    // One event holds them all: a record of the log has a size limit (Kafka's 1 MB), checked before anything is
    // appended, so the refusal names the field.
    const bytes = Buffer.byteLength(JSON.stringify(inputs));
    if (bytes > MAX_INPUTS_BYTES) {
      throw new ValidationError(
        `the inputs take ${bytes} bytes in one event, more than ${MAX_INPUTS_BYTES}: log them in smaller batches`,
        'inputs',
      );
    }
    return this.heardFrom(
      runId,
      this.run(caller, runId, body, { type: 'LogInputs', data: { runId, inputs } }),
    );
  }

  /** The client is alive. Records nothing unless the run was marked stale, which it then resumes. */
  heartbeat(caller: Caller, runId: string, body: BareBody) {
    return this.heardFrom(runId, this.run(caller, runId, body, { type: 'Heartbeat', data: { runId } }));
  }

  /** Called by the liveness tracker for a run silent past the timeout; the decider drops it if the run moved on. */
  markStale(runId: string, lastSeenAt: number, timeoutMs: number) {
    const system: Caller = { workspace: 'system', actor: 'runlog:liveness' };
    return this.run(system, runId, {}, { type: 'MarkStale', data: { runId, lastSeenAt, timeoutMs } });
  }

  logParams(caller: Caller, runId: string, body: LogParamsBody) {
    const params = Object.fromEntries(
      Object.entries(body.params).map(([key, value]) => [key, String(value)]),
    );
    return this.heardFrom(
      runId,
      this.run(caller, runId, body, { type: 'LogParams', data: { runId, params } }),
    );
  }

  setTags(caller: Caller, runId: string, body: SetTagsBody) {
    return this.run(caller, runId, body, { type: 'SetTags', data: { runId, tags: body.tags } });
  }

  deleteTags(caller: Caller, runId: string, body: DeleteTagsBody) {
    return this.run(caller, runId, body, { type: 'DeleteTags', data: { runId, keys: body.keys } });
  }

  finishRun(caller: Caller, runId: string, body: FinishRunBody) {
    return this.ending(caller, runId, body, { type: 'FinishRun', data: { runId } });
  }

  failRun(caller: Caller, runId: string, body: FailRunBody) {
    return this.ending(caller, runId, body, {
      type: 'FailRun',
      data: { runId, reason: body.reason, stackTrace: body.stackTrace ?? null },
    });
  }

  killRun(caller: Caller, runId: string, body: KillRunBody) {
    return this.ending(caller, runId, body, {
      type: 'KillRun',
      data: { runId, reason: body.reason ?? null },
    });
  }

  /** Ends the run (or deletes it) after the metric batches in flight; then there is no silence left to watch. */
  private async ending(caller: Caller, runId: string, body: Envelope, command: RunCommandData) {
    const ack = await this.gate.exclusive(runId, () => this.run(caller, runId, body, command));
    this.liveness.forget(runId);
    return ack;
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

  private run(
    caller: Caller,
    runId: string,
    body: Envelope,
    command: RunCommandData,
  ): Promise<Acknowledgement> {
    const target = {
      stream: streams.run(runId),
      topic: TOPICS.lifecycle,
      eventId: body.eventId ?? newEventId(),
      caller,
      occurredAt: body.occurredAt,
    };
    // A run's start and end are the client's when it names them (an import, MLflow's start_time and end_time), as
    // its experiment's creation, its points' and its artifacts' times already are; else the server's clock.
    const clientTime = body.occurredAt === undefined ? undefined : Date.parse(body.occurredAt);
    return this.commands.handle(target, (events, now) =>
      decideRun({ ...command, metadata: { now: clientTime ?? now } } as RunCommand, foldRun(events)),
    );
  }
}

function sweepExperimentOf(sweep: ReturnType<typeof foldSweep>): string | null {
  return sweep.status === 'absent' ? null : sweep.experimentId;
}
