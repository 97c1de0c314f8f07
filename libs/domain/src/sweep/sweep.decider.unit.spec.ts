import type { DomainEvent, SweepCreated } from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import { decideSweep, evolveSweep, initialSweepState, type SweepCommand } from './sweep.decider';

const given = DeciderSpecification.for({
  decide: decideSweep,
  evolve: evolveSweep,
  initialState: initialSweepState,
});

const payload: SweepCreated['payload'] = {
  sweepId: 'sweep-1',
  experimentId: 'exp-1',
  name: 'lr sweep',
  method: 'grid',
  searchSpace: { lr: { values: [0.1, 0.01] }, depth: { min: 2, max: 8 } },
  objective: { metric: 'val/loss', goal: 'minimize' },
};
const sweepCreated: DomainEvent<SweepCreated> = { type: 'sweep.created', v: 1, payload };
const createSweep = (experiment: 'absent' | 'active' | 'archived' = 'active'): SweepCommand => ({
  type: 'CreateSweep',
  data: { ...payload, experiment },
});

describe('sweep decider', () => {
  it('records the sweep with its search space and objective', () => {
    given([]).when(createSweep()).then([sweepCreated]);
  });

  it('in an unknown experiment is not_found, in an archived one 409, on experimentId', () => {
    given([])
      .when(createSweep('absent'))
      .thenThrows(NotFoundError, (error) => expect(error.field).toBe('experimentId'));
    given([])
      .when(createSweep('archived'))
      .thenThrows(IllegalTransition, (error) => expect(error.field).toBe('experimentId'));
  });

  it('twice is 409 on sweepId', () => {
    given([sweepCreated])
      .when(createSweep())
      .thenThrows(IllegalTransition, (error) => expect(error.field).toBe('sweepId'));
  });
});
