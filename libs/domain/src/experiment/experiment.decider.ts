import type { DomainEvent, ExperimentCreated, ExperimentEvent } from '../../../events/src/run.events';
import { IllegalTransition } from '../errors';

export type ExperimentState = { status: 'absent' } | { status: 'active'; experimentId: string; name: string };

export const initialExperimentState: ExperimentState = { status: 'absent' };

export type ExperimentCommand = {
  type: 'CreateExperiment';
  data: { experimentId: string; name: string };
};

export function evolveExperiment(
  state: ExperimentState,
  event: DomainEvent<ExperimentEvent>,
): ExperimentState {
  switch (event.type) {
    case 'experiment.created':
      return { status: 'active', experimentId: event.payload.experimentId, name: event.payload.name };
  }
  return state;
}

export function decideExperiment(
  command: ExperimentCommand,
  state: ExperimentState,
): DomainEvent<ExperimentCreated>[] {
  switch (command.type) {
    case 'CreateExperiment':
      if (state.status !== 'absent') {
        throw new IllegalTransition(`experiment ${command.data.experimentId} already exists`, 'experimentId');
      }
      return [{ type: 'experiment.created', v: 1, payload: { ...command.data } }];
  }
  const unhandled: never = command.type;
  throw new Error(`unhandled command ${String(unhandled)}`);
}
