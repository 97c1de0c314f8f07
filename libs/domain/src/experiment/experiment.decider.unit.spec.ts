import type { DomainEvent, ExperimentCreated } from '../../../events/src/run.events';
import { IllegalTransition } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import {
  decideExperiment,
  evolveExperiment,
  initialExperimentState,
  type ExperimentCommand,
} from './experiment.decider';

const given = DeciderSpecification.for({
  decide: decideExperiment,
  evolve: evolveExperiment,
  initialState: initialExperimentState,
});

const experimentId = 'exp-1';

const experimentCreated = (name = 'resnet-sweep'): DomainEvent<ExperimentCreated> => ({
  type: 'experiment.created',
  v: 1,
  payload: { experimentId, name },
});
const createExperiment = (name = 'resnet-sweep'): ExperimentCommand => ({
  type: 'CreateExperiment',
  data: { experimentId, name },
});

describe('experiment decider', () => {
  describe('when absent', () => {
    it('CreateExperiment creates the experiment', () => {
      given([]).when(createExperiment()).then([experimentCreated()]);
    });

    it('copies the command data, so the event does not share it with the caller', () => {
      const command = createExperiment();
      const [event] = decideExperiment(command, initialExperimentState);
      expect(event?.payload).toEqual(command.data);
      expect(event?.payload).not.toBe(command.data);
    });
  });

  describe('when active', () => {
    it('CreateExperiment again is an illegal transition on experimentId, whatever the name', () => {
      for (const name of ['resnet-sweep', 'another-name']) {
        given([experimentCreated()])
          .when(createExperiment(name))
          .thenThrows(IllegalTransition, (error) => {
            expect(error.code).toBe('illegal_transition');
            expect(error.field).toBe('experimentId');
            expect(error.message).toContain(experimentId);
          });
      }
    });
  });

  describe('evolve (what a replay rebuilds)', () => {
    it('an experiment.created event makes the experiment active under its name', () => {
      expect(evolveExperiment(initialExperimentState, experimentCreated())).toEqual({
        status: 'active',
        experimentId,
        name: 'resnet-sweep',
      });
    });
  });
});
