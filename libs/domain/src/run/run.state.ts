import type {
  DomainEvent,
  RunContext,
  RunCreated,
  RunInput,
  RunLifecycleEvent,
} from '../../../events/src/run.events';

/**
 * A run's state as its lifecycle events fold it (what a replay rebuilds): the decider (run.decider.ts) decides
 * from it, the projector's run rows come from it.
 */
export type RunStatus = 'queued' | 'running' | 'stale' | 'finished' | 'failed' | 'killed';
export type EndedStatus = 'finished' | 'failed' | 'killed';
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['finished', 'failed', 'killed']);

type RunCreatedPayload = RunCreated['payload'];

/** What `run.created` says, and what later events add to it. */
export interface RunRecord extends RunCreatedPayload {
  deleted: boolean;
  note: string;
  context: RunContext | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Path → the latest upload to it. */
  artifacts: Record<string, ArtifactRef>;
  inputs: RunInput[];
}

export interface ArtifactRef {
  size: number;
  digest: string;
  contentType: string;
}

export type ExistingRun =
  | (RunRecord & { status: 'queued' | 'running' | 'stale' })
  | (RunRecord & {
      status: EndedStatus;
      endTime: number;
      failureReason: string | null;
      stackTrace: string | null;
    });

export type RunState = { status: 'absent' } | ExistingRun;

export const initialRunState: RunState = { status: 'absent' };

export function evolveRun(state: RunState, event: DomainEvent<RunLifecycleEvent>): RunState {
  if (event.type === 'run.created') {
    const { startTime } = event.payload;
    return {
      ...event.payload,
      status: startTime === null ? 'queued' : 'running',
      deleted: false,
      note: '',
      context: null,
      params: {},
      tags: {},
      artifacts: {},
      inputs: [],
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'run.started':
      return state.status === 'queued'
        ? { ...state, status: 'running', startTime: event.payload.startTime }
        : state;
    case 'run.renamed':
      return { ...state, name: event.payload.name };
    case 'run.deleted':
      return { ...state, deleted: true };
    case 'run.restored':
      return { ...state, deleted: false };
    case 'run.note_set':
      return { ...state, note: event.payload.note };
    case 'run.inputs_logged':
      return { ...state, inputs: [...state.inputs, ...event.payload.inputs] };
    case 'run.context_captured':
      return { ...state, context: event.payload.context };
    case 'run.marked_stale':
      return state.status === 'running' ? { ...state, status: 'stale' } : state;
    case 'run.resumed':
      return state.status === 'stale' ? { ...state, status: 'running' } : state;
    case 'run.params_logged':
      return { ...state, params: { ...state.params, ...event.payload.params } };
    case 'run.tags_set':
      return { ...state, tags: { ...state.tags, ...event.payload.tags } };
    case 'run.tags_deleted': {
      const tags = { ...state.tags };
      for (const key of event.payload.keys) delete tags[key];
      return { ...state, tags };
    }
    case 'run.artifact_logged': {
      const { path, ...ref } = event.payload;
      return { ...state, artifacts: { ...state.artifacts, [path]: ref } };
    }
    // Media are listed from their projection; the run's state needs only the artifacts they name.
    case 'run.media_logged':
      return state;
    case 'run.finished':
      return end(state, 'finished', event.payload.endTime, null, null);
    case 'run.failed':
      return end(state, 'failed', event.payload.endTime, event.payload.reason, event.payload.stackTrace);
    case 'run.killed':
      return end(state, 'killed', event.payload.endTime, event.payload.reason, null);
  }
}

function end(
  state: ExistingRun,
  status: EndedStatus,
  endTime: number,
  failureReason: string | null,
  stackTrace: string | null,
): RunState {
  return { ...state, status, endTime, failureReason, stackTrace };
}
