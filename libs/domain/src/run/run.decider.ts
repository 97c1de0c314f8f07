import type {
  DomainEvent,
  MetricSeriesBatch,
  MetricsLogged,
  RunLifecycleEvent,
} from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError, ParamConflictError } from '../errors';

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['finished', 'failed', 'killed']);

interface RunRecord {
  runId: string;
  experimentId: string;
  name: string;
  startTime: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Path → the latest upload to it. */
  artifacts: Record<string, ArtifactRef>;
}

export interface ArtifactRef {
  size: number;
  digest: string;
  contentType: string;
}

export type RunState =
  | { status: 'absent' }
  | (RunRecord & { status: 'running' })
  | (RunRecord & { status: 'finished' | 'failed' | 'killed'; endTime: number; failureReason: string | null });

export const initialRunState: RunState = { status: 'absent' };

interface CommandMetadata {
  now: number;
}

export type RunCommand =
  | {
      type: 'CreateRun';
      data: { runId: string; experimentId: string; name: string; experimentExists: boolean };
      metadata: CommandMetadata;
    }
  | { type: 'LogParams'; data: { runId: string; params: Record<string, string> }; metadata: CommandMetadata }
  | { type: 'SetTags'; data: { runId: string; tags: Record<string, string> }; metadata: CommandMetadata }
  | { type: 'DeleteTags'; data: { runId: string; keys: string[] }; metadata: CommandMetadata }
  | {
      type: 'LogArtifact';
      data: { runId: string; path: string } & ArtifactRef;
      metadata: CommandMetadata;
    }
  | { type: 'LogMetrics'; data: { runId: string; series: MetricSeriesBatch[] }; metadata: CommandMetadata }
  | { type: 'FinishRun'; data: { runId: string }; metadata: CommandMetadata }
  | { type: 'FailRun'; data: { runId: string; reason: string }; metadata: CommandMetadata }
  | { type: 'KillRun'; data: { runId: string; reason: string | null }; metadata: CommandMetadata };

export type RunDecision = DomainEvent<RunLifecycleEvent | MetricsLogged>;

export function evolveRun(state: RunState, event: DomainEvent<RunLifecycleEvent>): RunState {
  switch (event.type) {
    case 'run.created':
      return { status: 'running', ...event.payload, params: {}, tags: {}, artifacts: {} };
    case 'run.params_logged':
      return state.status === 'absent'
        ? state
        : { ...state, params: { ...state.params, ...event.payload.params } };
    case 'run.tags_set':
      return state.status === 'absent' ? state : { ...state, tags: { ...state.tags, ...event.payload.tags } };
    case 'run.tags_deleted': {
      if (state.status === 'absent') return state;
      const tags = { ...state.tags };
      for (const key of event.payload.keys) delete tags[key];
      return { ...state, tags };
    }
    case 'run.artifact_logged': {
      if (state.status === 'absent') return state;
      const { path, ...ref } = event.payload;
      return { ...state, artifacts: { ...state.artifacts, [path]: ref } };
    }
    case 'run.finished':
      return end(state, 'finished', event.payload.endTime, null);
    case 'run.failed':
      return end(state, 'failed', event.payload.endTime, event.payload.reason);
    case 'run.killed':
      return end(state, 'killed', event.payload.endTime, event.payload.reason);
  }
}

function end(
  state: RunState,
  status: 'finished' | 'failed' | 'killed',
  endTime: number,
  reason: string | null,
): RunState {
  if (state.status === 'absent') return state;
  return { ...state, status, endTime, failureReason: reason };
}

/**
 * What a run accepts, by state:
 * - absent: only CreateRun; anything else is not_found (404).
 * - running: everything but CreateRun. An artifact uploaded again to the same path with the same bytes changes
 *   nothing (a retried upload); other bytes supersede the earlier upload.
 * - finished / failed / killed: tags only (a reviewer may label a finished run); params, metrics and a
 *   second ending are illegal transitions (409), so a run's recorded outcome never changes after the fact.
 */
export function decideRun(command: RunCommand, state: RunState): RunDecision[] {
  switch (command.type) {
    case 'CreateRun':
      return createRun(command.data, command.metadata, state);
    case 'LogParams':
      return logParams(command.data.params, requireActive(state, command.data.runId, 'log params to'));
    case 'SetTags':
      requireExisting(state, command.data.runId);
      return Object.keys(command.data.tags).length === 0
        ? []
        : [{ type: 'run.tags_set', v: 1, payload: { tags: command.data.tags } }];
    case 'DeleteTags': {
      // Like SetTags, allowed after the run ended. Keys not set are skipped; deleting nothing records nothing.
      requireExisting(state, command.data.runId);
      const set = state.tags;
      const keys = [...new Set(command.data.keys)].filter((key) => Object.hasOwn(set, key)).sort();
      return keys.length === 0 ? [] : [{ type: 'run.tags_deleted', v: 1, payload: { keys } }];
    }
    case 'LogArtifact': {
      const { runId, path, ...ref } = command.data;
      const run = requireActive(state, runId, 'log artifacts to');
      if (Object.hasOwn(run.artifacts, path) && run.artifacts[path].digest === ref.digest) return [];
      return [{ type: 'run.artifact_logged', v: 1, payload: { path, ...ref } }];
    }
    case 'LogMetrics':
      requireActive(state, command.data.runId, 'log metrics to');
      return [
        { type: 'metrics.logged', v: 1, payload: { runId: command.data.runId, series: command.data.series } },
      ];
    case 'FinishRun':
      requireActive(state, command.data.runId, 'finish');
      return [{ type: 'run.finished', v: 1, payload: { endTime: command.metadata.now } }];
    case 'FailRun':
      requireActive(state, command.data.runId, 'fail');
      return [
        { type: 'run.failed', v: 1, payload: { endTime: command.metadata.now, reason: command.data.reason } },
      ];
    case 'KillRun':
      requireActive(state, command.data.runId, 'kill');
      return [
        { type: 'run.killed', v: 1, payload: { endTime: command.metadata.now, reason: command.data.reason } },
      ];
  }
  const unhandled: never = command;
  throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
}

function createRun(
  data: Extract<RunCommand, { type: 'CreateRun' }>['data'],
  metadata: CommandMetadata,
  state: RunState,
): RunDecision[] {
  if (state.status !== 'absent') throw new IllegalTransition(`run ${data.runId} already exists`, 'runId');
  if (!data.experimentExists) {
    throw new NotFoundError(`experiment ${data.experimentId} does not exist`, 'experimentId');
  }
  return [
    {
      type: 'run.created',
      v: 1,
      payload: {
        runId: data.runId,
        experimentId: data.experimentId,
        name: data.name,
        startTime: metadata.now,
      },
    },
  ];
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

function requireExisting(
  state: RunState,
  runId: string,
): asserts state is Exclude<RunState, { status: 'absent' }> {
  if (state.status === 'absent') throw new NotFoundError(`run ${runId} does not exist`, 'runId');
}

function requireActive(state: RunState, runId: string, action: string): RunRecord {
  requireExisting(state, runId);
  if (state.status !== 'running') {
    throw new IllegalTransition(`cannot ${action} run ${runId}: it is ${state.status}`, 'runId');
  }
  return state;
}
