import type { DomainEvent, ExperimentEvent } from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError } from '../errors';

export type ExperimentState =
  | { status: 'absent' }
  | {
      status: 'active' | 'archived';
      experimentId: string;
      name: string;
      /** null: raw points are kept for ever. */
      rawPointsMaxAgeDays: number | null;
      tags: Readonly<Record<string, string>>;
    };

export const initialExperimentState: ExperimentState = { status: 'absent' };

export type ExperimentCommand =
  | { type: 'CreateExperiment'; data: { experimentId: string; name: string } }
  | { type: 'RenameExperiment'; data: { experimentId: string; name: string } }
  | { type: 'ArchiveExperiment'; data: { experimentId: string } }
  | { type: 'RestoreExperiment'; data: { experimentId: string } }
  | { type: 'SetExperimentRetention'; data: { experimentId: string; rawPointsMaxAgeDays: number | null } }
  | { type: 'SetExperimentTags'; data: { experimentId: string; tags: Record<string, string> } }
  | { type: 'DeleteExperimentTags'; data: { experimentId: string; keys: string[] } };

export function evolveExperiment(
  state: ExperimentState,
  event: DomainEvent<ExperimentEvent>,
): ExperimentState {
  if (event.type === 'experiment.created') {
    return {
      status: 'active',
      experimentId: event.payload.experimentId,
      name: event.payload.name,
      rawPointsMaxAgeDays: null,
      tags: {},
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'experiment.renamed':
      return { ...state, name: event.payload.name };
    case 'experiment.archived':
      return { ...state, status: 'archived' };
    case 'experiment.restored':
      return { ...state, status: 'active' };
    case 'experiment.retention_set':
      return { ...state, rawPointsMaxAgeDays: event.payload.rawPointsMaxAgeDays };
    case 'experiment.tags_set':
      return { ...state, tags: { ...state.tags, ...event.payload.tags } };
    case 'experiment.tags_deleted':
      return {
        ...state,
        tags: Object.fromEntries(
          Object.entries(state.tags).filter(([key]) => !event.payload.keys.includes(key)),
        ),
      };
  }
}

/**
 * What an experiment accepts:
 * - absent: CreateExperiment only; the others are not_found (404).
 * - active: rename, archive. Archiving closes it to new runs (see the run decider); its runs are left as they are.
 * - archived: rename, restore.
 * - either: set the retention of its raw points (old experiments are the ones it is for); the same value again
 *   changes nothing. Set and delete tags: only the keys that change are recorded (nothing when none does).
 * Renaming to the current name, archiving an archived and restoring an active experiment change nothing (a retry).
 * Names are checked by the request and event schemas (1–256 characters, no control characters, no leading or
 * trailing space); they are labels, not keys, so two experiments may share one (ids are the keys).
 */
type LiveExperimentState = Extract<ExperimentState, { status: 'active' | 'archived' }>;

/** An archived experiment's tags stay as they were archived (as MLflow's deleted experiments' do). */
function refuseTagsWhileArchived(state: LiveExperimentState): void {
  if (state.status === 'archived') {
    throw new IllegalTransition(
      `experiment ${state.experimentId} is archived: restore it to change its tags`,
      'experimentId',
    );
  }
}

export function decideExperiment(
  command: ExperimentCommand,
  state: ExperimentState,
): DomainEvent<ExperimentEvent>[] {
  const { experimentId } = command.data;
  if (command.type === 'CreateExperiment') {
    if (state.status !== 'absent') {
      throw new IllegalTransition(`experiment ${experimentId} already exists`, 'experimentId');
    }
    return [{ type: 'experiment.created', v: 1, payload: { ...command.data } }];
  }
  if (state.status === 'absent') {
    throw new NotFoundError(`experiment ${experimentId} does not exist`, 'experimentId');
  }
  switch (command.type) {
    case 'RenameExperiment':
      return state.name === command.data.name
        ? []
        : [{ type: 'experiment.renamed', v: 1, payload: { name: command.data.name } }];
    case 'ArchiveExperiment':
      return state.status === 'archived' ? [] : [{ type: 'experiment.archived', v: 1, payload: {} }];
    case 'RestoreExperiment':
      return state.status === 'active' ? [] : [{ type: 'experiment.restored', v: 1, payload: {} }];
    case 'SetExperimentTags': {
      const changed = Object.entries(command.data.tags).filter(
        ([key, value]) => !Object.hasOwn(state.tags, key) || state.tags[key] !== value,
      );
      if (changed.length === 0) return [];
      refuseTagsWhileArchived(state);
      return [{ type: 'experiment.tags_set', v: 1, payload: { tags: Object.fromEntries(changed) } }];
    }
    case 'DeleteExperimentTags': {
      const keys = [...new Set(command.data.keys)].filter((key) => Object.hasOwn(state.tags, key)).sort();
      if (keys.length === 0) return [];
      refuseTagsWhileArchived(state);
      return [{ type: 'experiment.tags_deleted', v: 1, payload: { keys } }];
    }
    case 'SetExperimentRetention': {
      const { rawPointsMaxAgeDays } = command.data;
      return state.rawPointsMaxAgeDays === rawPointsMaxAgeDays
        ? []
        : [{ type: 'experiment.retention_set', v: 1, payload: { rawPointsMaxAgeDays } }];
    }
  }
}
