import type {
  DomainEvent,
  MediaKind,
  MetricSeriesBatch,
  MetricsLogged,
  RunContext,
  RunInput,
  RunLifecycleEvent,
} from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError, ParamConflictError, ValidationError } from '../errors';
import type { ArtifactRef, ExistingRun, RunRecord, RunState } from './run.state';

export * from './run.state';

interface CommandMetadata {
  now: number;
}

/** What the write side looked up before deciding a create: other streams' states, read from the log. */
export interface CreateRunLookups {
  experiment: 'absent' | 'active' | 'archived';
  /** The sweep's experiment, or null when the sweep does not exist (or none was named). */
  sweepExperimentId: string | null;
  parentExists: boolean;
}

type Command<T extends string, D> = { type: T; data: { runId: string } & D; metadata: CommandMetadata };

export type RunCommand =
  | Command<
      'CreateRun',
      {
        experimentId: string;
        name: string;
        queued: boolean;
        sweepId: string | null;
        parentRunId: string | null;
        context: RunContext | null;
        lookups: CreateRunLookups;
      }
    >
  | Command<'StartRun', { context: RunContext | null }>
  | Command<'RenameRun', { name: string }>
  | Command<'DeleteRun', object>
  | Command<'RestoreRun', object>
  | Command<'SetNote', { note: string }>
  | Command<'LogInputs', { inputs: RunInput[] }>
  | Command<'LogParams', { params: Record<string, string> }>
  | Command<'SetTags', { tags: Record<string, string> }>
  | Command<'DeleteTags', { keys: string[] }>
  | Command<'LogArtifact', { path: string } & ArtifactRef>
  | Command<'LogMedia', { key: string; step: number; kind: MediaKind; path: string }>
  | Command<'LogMetrics', { series: MetricSeriesBatch[]; worker?: string }>
  | Command<'Heartbeat', object>
  | Command<'MarkStale', { lastSeenAt: number; timeoutMs: number }>
  | Command<'FinishRun', object>
  | Command<'FailRun', { reason: string; stackTrace: string | null }>
  | Command<'KillRun', { reason: string | null }>;

export type RunDecision = DomainEvent<RunLifecycleEvent | MetricsLogged>;

/** Commands a reviewer may still apply to an ended run: labels, not the recorded outcome. */
const ANNOTATIONS: ReadonlySet<RunCommand['type']> = new Set([
  'SetTags',
  'DeleteTags',
  'SetNote',
  'RenameRun',
  'DeleteRun',
  'RestoreRun',
]);
/** Commands a queued run accepts besides annotations: what a scheduler records before an agent picks it up. */
const BEFORE_START: ReadonlySet<RunCommand['type']> = new Set([
  'StartRun',
  'LogParams',
  'LogInputs',
  'FailRun',
  'KillRun',
]);
/** Writes only the run's own client makes: after a stale mark, they show it is back. */
const CLIENT_ACTIVITY: ReadonlySet<RunCommand['type']> = new Set([
  'Heartbeat',
  'LogMetrics',
  'LogParams',
  'LogArtifact',
  'LogMedia',
  'LogInputs',
]);

/**
 * What a run accepts, by state (docs/architecture.md has the table):
 * - absent: CreateRun only; anything else is not_found (404).
 * - deleted (whatever its status): RestoreRun, and DeleteRun as a no-op; anything else is 409 until restored.
 * - queued: annotations, StartRun, params, inputs, and an ending by FailRun or KillRun (a trial never started).
 * - running: everything but CreateRun and StartRun. The same bytes uploaded again to a path record nothing.
 * - stale (silent past the heartbeat timeout): like running; the first write of its client records `run.resumed`.
 * - finished / failed / killed: annotations only (tags, note, name, delete/restore), so the outcome never changes.
 * A heartbeat records nothing: liveness is tracked by the ingest process, and only its conclusions are logged.
 */
export function decideRun(command: RunCommand, state: RunState): RunDecision[] {
  const { runId } = command.data;
  if (command.type === 'CreateRun') return createRun(command.data, command.metadata, state);
  if (state.status === 'absent') throw new NotFoundError(`run ${runId} does not exist`, 'runId');
  if (command.type === 'MarkStale') {
    // The reaper races the client: whatever happened since it looked wins, and the mark is dropped.
    if (state.status !== 'running' || state.deleted) return [];
    const { lastSeenAt, timeoutMs } = command.data;
    return [{ type: 'run.marked_stale', v: 1, payload: { lastSeenAt, timeoutMs } }];
  }
  if (state.deleted && command.type !== 'RestoreRun' && command.type !== 'DeleteRun') {
    throw new IllegalTransition(`run ${runId} is deleted; restore it first`, 'runId');
  }
  const allowed =
    ANNOTATIONS.has(command.type) ||
    state.status === 'running' ||
    state.status === 'stale' ||
    (state.status === 'queued' && BEFORE_START.has(command.type));
  if (!allowed) {
    throw new IllegalTransition(
      `cannot ${describe(command.type)} run ${runId}: it is ${state.status}`,
      'runId',
    );
  }
  const decided = decideAllowed(command, state);
  return state.status === 'stale' && CLIENT_ACTIVITY.has(command.type)
    ? [{ type: 'run.resumed', v: 1, payload: {} }, ...decided]
    : decided;
}

function decideAllowed(
  command: Exclude<RunCommand, { type: 'CreateRun' | 'MarkStale' }>,
  state: ExistingRun,
): RunDecision[] {
  const now = command.metadata.now;
  // A run ends no earlier than it started: a client's (or an import's) end time before the start is the start.
  const endTime = Math.max(now, state.startTime ?? now);
  switch (command.type) {
    case 'StartRun': {
      if (state.status !== 'queued') {
        throw new IllegalTransition(`cannot start run ${command.data.runId}: it is ${state.status}`, 'runId');
      }
      const started: RunDecision = { type: 'run.started', v: 1, payload: { startTime: now } };
      return command.data.context ? [started, contextCaptured(command.data.context)] : [started];
    }
    case 'RenameRun':
      return state.name === command.data.name
        ? []
        : [{ type: 'run.renamed', v: 1, payload: { name: command.data.name } }];
    case 'DeleteRun':
      return state.deleted ? [] : [{ type: 'run.deleted', v: 1, payload: {} }];
    case 'RestoreRun':
      return state.deleted ? [{ type: 'run.restored', v: 1, payload: {} }] : [];
    case 'SetNote':
      return state.note === command.data.note
        ? []
        : [{ type: 'run.note_set', v: 1, payload: { note: command.data.note } }];
    case 'LogInputs': {
      // An input is identified by name and digest: the same dataset logged again (a retried call) adds nothing.
      const seen = new Set(state.inputs.map((input) => `${input.name}\u0000${input.digest}`));
      const fresh = command.data.inputs.filter((input) => {
        const key = `${input.name}\u0000${input.digest}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return fresh.length === 0 ? [] : [{ type: 'run.inputs_logged', v: 1, payload: { inputs: fresh } }];
    }
    case 'LogParams':
      return logParams(command.data.params, state);
    case 'SetTags':
      return Object.keys(command.data.tags).length === 0
        ? []
        : [{ type: 'run.tags_set', v: 1, payload: { tags: command.data.tags } }];
    case 'DeleteTags': {
      // Keys not set are skipped; deleting nothing records nothing.
      const set = state.tags;
      const keys = [...new Set(command.data.keys)].filter((key) => Object.hasOwn(set, key)).sort();
      return keys.length === 0 ? [] : [{ type: 'run.tags_deleted', v: 1, payload: { keys } }];
    }
    case 'LogArtifact': {
      const { path, size, digest, contentType } = command.data;
      if (Object.hasOwn(state.artifacts, path) && state.artifacts[path].digest === digest) return [];
      return [{ type: 'run.artifact_logged', v: 1, payload: { path, size, digest, contentType } }];
    }
    case 'LogMedia': {
      const { key, step, kind, path } = command.data;
      // The content is an artifact the run already has: the record names its bytes, never other ones.
      if (!Object.hasOwn(state.artifacts, path)) {
        throw new ValidationError(
          `run ${command.data.runId} has no artifact at ${JSON.stringify(path)}; upload it first`,
          'path',
        );
      }
      return [
        { type: 'run.media_logged', v: 1, payload: { key, step, kind, path, ...state.artifacts[path] } },
      ];
    }
    case 'LogMetrics': {
      const { runId, series, worker } = command.data;
      // The default worker is left out, not written as '': a batch without one hashes as it always did.
      const payload = worker === undefined ? { runId, series } : { runId, worker, series };
      return [{ type: 'metrics.logged', v: 1, payload }];
    }
    case 'Heartbeat':
      return [];
    case 'FinishRun':
      return [{ type: 'run.finished', v: 1, payload: { endTime } }];
    case 'FailRun':
      return [
        {
          type: 'run.failed',
          v: 2,
          payload: { endTime, reason: command.data.reason, stackTrace: command.data.stackTrace },
        },
      ];
    case 'KillRun':
      return [{ type: 'run.killed', v: 1, payload: { endTime, reason: command.data.reason } }];
  }
}

const VERBS: Partial<Record<RunCommand['type'], string>> = {
  LogParams: 'log params to',
  LogInputs: 'log inputs to',
  LogArtifact: 'log artifacts to',
  LogMedia: 'log media to',
  LogMetrics: 'log metrics to',
  Heartbeat: 'heartbeat',
  StartRun: 'start',
  FinishRun: 'finish',
  FailRun: 'fail',
  KillRun: 'kill',
};

function describe(type: RunCommand['type']): string {
  return VERBS[type] ?? type;
}

function contextCaptured(context: RunContext): RunDecision {
  return { type: 'run.context_captured', v: 1, payload: { context } };
}

function createRun(
  data: Extract<RunCommand, { type: 'CreateRun' }>['data'],
  metadata: CommandMetadata,
  state: RunState,
): RunDecision[] {
  const { runId, experimentId, sweepId, parentRunId, lookups } = data;
  if (state.status !== 'absent') throw new IllegalTransition(`run ${runId} already exists`, 'runId');
  if (lookups.experiment === 'absent') {
    throw new NotFoundError(`experiment ${experimentId} does not exist`, 'experimentId');
  }
  if (lookups.experiment === 'archived') {
    throw new IllegalTransition(
      `experiment ${experimentId} is archived; restore it to add runs`,
      'experimentId',
    );
  }
  if (sweepId !== null) {
    if (lookups.sweepExperimentId === null)
      throw new NotFoundError(`sweep ${sweepId} does not exist`, 'sweepId');
    if (lookups.sweepExperimentId !== experimentId) {
      throw new IllegalTransition(
        `sweep ${sweepId} belongs to experiment ${lookups.sweepExperimentId}, not ${experimentId}`,
        'sweepId',
      );
    }
  }
  if (parentRunId !== null) {
    if (parentRunId === runId)
      throw new IllegalTransition(`run ${runId} cannot be its own parent`, 'parentRunId');
    if (!lookups.parentExists)
      throw new NotFoundError(`parent run ${parentRunId} does not exist`, 'parentRunId');
  }
  const created: RunDecision = {
    type: 'run.created',
    v: 2,
    payload: {
      runId,
      experimentId,
      name: data.name,
      createdAt: metadata.now,
      startTime: data.queued ? null : metadata.now,
      sweepId,
      parentRunId,
    },
  };
  return data.context ? [created, contextCaptured(data.context)] : [created];
}

function logParams(params: Record<string, string>, state: RunRecord): RunDecision[] {
  // Own keys only, and entries rather than assignment: a param named "constructor" or "__proto__" is a
  // plain key here, not an inherited member (a false conflict) or the prototype setter (a lost param).
  const fresh: [string, string][] = [];
  for (const [key, value] of Object.entries(params)) {
    const logged = Object.hasOwn(state.params, key) ? state.params[key] : undefined;
    if (logged === undefined) fresh.push([key, value]);
    else if (logged !== value) {
      throw new ParamConflictError(
        `param "${key}" was already logged as ${JSON.stringify(logged)}; cannot change it to ${JSON.stringify(value)}`,
        `params.${key}`,
      );
    }
  }
  return fresh.length === 0
    ? []
    : [{ type: 'run.params_logged', v: 1, payload: { params: Object.fromEntries(fresh) } }];
}
