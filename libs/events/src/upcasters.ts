import type { EventEnvelope } from './envelope';
import type { RunlogEvent, StoredEvent } from './run.events';

/** The newest schema version of each event type: what every reader sees after upcasting. */
export const CURRENT_VERSIONS: Record<RunlogEvent['type'], number> = {
  'experiment.created': 1,
  'run.created': 1,
  'run.params_logged': 1,
  'run.tags_set': 1,
  'run.tags_deleted': 1,
  'run.artifact_logged': 1,
  'run.finished': 1,
  'run.failed': 1,
  'run.killed': 1,
  'metrics.logged': 1,
};

type Upcaster = (envelope: EventEnvelope) => EventEnvelope;

/**
 * `${type}@${v}` → a function lifting that version by one. Old shapes are read here and only here;
 * the log is never rewritten. Empty while every type is at v1.
 */
const UPCASTERS: Record<string, Upcaster> = {};

export class UnknownEventError extends Error {
  constructor(
    readonly reason: 'unknown_event_type' | 'unknown_event_version',
    readonly eventType: string,
    readonly version: number,
  ) {
    super(`${reason}: ${eventType}@${version}`);
  }
}

/** Reads a stored envelope as the current version of its event, or throws UnknownEventError. */
export function upcast(envelope: EventEnvelope): StoredEvent {
  // Own keys only: a stored type such as "constructor" must not find an Object.prototype member.
  if (!Object.hasOwn(CURRENT_VERSIONS, envelope.type)) {
    throw new UnknownEventError('unknown_event_type', envelope.type, envelope.v);
  }
  const current = CURRENT_VERSIONS[envelope.type as RunlogEvent['type']];
  let lifted = envelope;
  while (lifted.v < current) {
    const step = UPCASTERS[`${lifted.type}@${lifted.v}`];
    if (!step) throw new UnknownEventError('unknown_event_version', lifted.type, lifted.v);
    lifted = step(lifted);
  }
  if (lifted.v !== current) throw new UnknownEventError('unknown_event_version', lifted.type, lifted.v);
  return lifted as StoredEvent;
}
