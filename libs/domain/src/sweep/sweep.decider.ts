import type { DomainEvent, SweepCreated, SweepEvent } from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError } from '../errors';

export type SweepState = { status: 'absent' } | ({ status: 'created' } & SweepCreated['payload']);

export const initialSweepState: SweepState = { status: 'absent' };

export type SweepCommand = {
  type: 'CreateSweep';
  data: SweepCreated['payload'] & { experiment: 'absent' | 'active' | 'archived' };
};

export function evolveSweep(_state: SweepState, event: DomainEvent<SweepEvent>): SweepState {
  return { status: 'created', ...event.payload };
}

/** A sweep is made once, in an existing active experiment; its runs name it (see the run decider). */
export function decideSweep(command: SweepCommand, state: SweepState): DomainEvent<SweepCreated>[] {
  const { experiment, ...payload } = command.data;
  if (state.status !== 'absent')
    throw new IllegalTransition(`sweep ${payload.sweepId} already exists`, 'sweepId');
  if (experiment === 'absent') {
    throw new NotFoundError(`experiment ${payload.experimentId} does not exist`, 'experimentId');
  }
  if (experiment === 'archived') {
    throw new IllegalTransition(`experiment ${payload.experimentId} is archived`, 'experimentId');
  }
  return [{ type: 'sweep.created', v: 1, payload }];
}
