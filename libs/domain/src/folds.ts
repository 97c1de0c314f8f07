import type { EventEnvelope } from '../../events/src/envelope';
import type { DomainEvent, ExperimentEvent, RunLifecycleEvent } from '../../events/src/run.events';
import type { ModelEvent, NameClaimEvent } from '../../events/src/model-registry.events';
import { upcast } from '../../events/src/upcasters';
import { evolveModel, initialModelState, type ModelState } from './model/model.state';
import { evolveNameClaim, initialNameClaimState, type NameClaimState } from './model/name-claim.decider';
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

/** A model's stream folded with each event's actor and time, which the registry shows beside every change. */
export function foldModel(events: readonly EventEnvelope[]): ModelState {
  let state = initialModelState;
  for (const envelope of events) {
    const event = upcast(envelope);
    if (event.type.startsWith('model.')) {
      state = evolveModel(state, event as DomainEvent<ModelEvent>, {
        actor: envelope.actor,
        at: Date.parse(envelope.recordedAt),
      });
    }
  }
  return state;
}

export function foldNameClaim(events: readonly EventEnvelope[]): NameClaimState {
  let state = initialNameClaimState;
  for (const envelope of events) {
    const event = upcast(envelope);
    if (event.type.startsWith('name.')) state = evolveNameClaim(state, event as DomainEvent<NameClaimEvent>);
  }
  return state;
}
