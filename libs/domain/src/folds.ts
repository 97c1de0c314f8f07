import type { EventEnvelope } from '../../events/src/envelope';
import type { DomainEvent, ExperimentEvent, RunLifecycleEvent } from '../../events/src/run.events';
import { upcast } from '../../events/src/upcasters';
import {
  evolveExperiment,
  initialExperimentState,
  type ExperimentState,
} from './experiment/experiment.decider';
import { evolveRun, initialRunState, type RunState } from './run/run.decider';
import { evolveSweep, initialSweepState, type SweepState } from './sweep/sweep.decider';

/**
 * A stream's events, as stored, folded into its aggregate's state: every version is upcast first, so deciders only
 * ever see the current shapes. The write side folds before it decides; an auditor replays the same evolve.
 */
export function foldExperiment(events: readonly EventEnvelope[]): ExperimentState {
  let state = initialExperimentState;
  for (const envelope of events) {
    const event = upcast(envelope);
    if (event.type.startsWith('experiment.')) {
      state = evolveExperiment(state, event as DomainEvent<ExperimentEvent>);
    }
  }
  return state;
}

export function foldSweep(events: readonly EventEnvelope[]): SweepState {
  let state = initialSweepState;
  for (const envelope of events) {
    const event = upcast(envelope);
    if (event.type === 'sweep.created') state = evolveSweep(state, event);
  }
  return state;
}

export function foldRun(events: readonly EventEnvelope[]): RunState {
  let state = initialRunState;
  for (const envelope of events) {
    const event = upcast(envelope);
    if (event.type.startsWith('run.')) state = evolveRun(state, event as DomainEvent<RunLifecycleEvent>);
  }
  return state;
}
