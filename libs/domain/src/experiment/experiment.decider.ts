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
    };

export const initialExperimentState: ExperimentState = { status: 'absent' };

export type ExperimentCommand =
  | { type: 'CreateExperiment'; data: { experimentId: string; name: string } }
  | { type: 'RenameExperiment'; data: { experimentId: string; name: string } }
  | { type: 'ArchiveExperiment'; data: { experimentId: string } }
  | { type: 'RestoreExperiment'; data: { experimentId: string } }
  | { type: 'SetExperimentRetention'; data: { experimentId: string; rawPointsMaxAgeDays: number | null } };

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
  }
}

/**
 * What an experiment accepts:
 * - absent: CreateExperiment only; the others are not_found (404).
 * - active: rename, archive. Archiving closes it to new runs (see the run decider); its runs are left as they are.
 * - archived: rename, restore.
 * - either: set the retention of its raw points (old experiments are the ones it is for); the same value again
 *   changes nothing.
 * Renaming to the current name, archiving an archived and restoring an active experiment change nothing (a retry).
 * Names are checked by the request and event schemas (1–256 characters, no control characters, no leading or
 * trailing space); they are labels, not keys, so two experiments may share one (ids are the keys).
 */
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
    case 'SetExperimentRetention': {
      const { rawPointsMaxAgeDays } = command.data;
      return state.rawPointsMaxAgeDays === rawPointsMaxAgeDays
        ? []
        : [{ type: 'experiment.retention_set', v: 1, payload: { rawPointsMaxAgeDays } }];
    }
  }
}
