import type { EventEnvelope } from './envelope';
import type {
  RunCreated,
  RunCreatedV1,
  RunFailed,
  RunFailedV1,
  RunlogEvent,
  StoredEvent,
} from './run.events';

/** The newest schema version of each event type: what every reader sees after upcasting. */
export const CURRENT_VERSIONS: Record<RunlogEvent['type'], number> = {
  'experiment.created': 1,
  'experiment.renamed': 1,
  'experiment.archived': 1,
  'experiment.restored': 1,
  'experiment.retention_set': 1,
  'experiment.tags_set': 1,
  'experiment.tags_deleted': 1,
  'sweep.created': 1,
  'run.created': 2,
  'run.started': 1,
  'run.renamed': 1,
  'run.deleted': 1,
  'run.restored': 1,
  'run.note_set': 1,
  'run.inputs_logged': 1,
  'run.context_captured': 1,
  'run.marked_stale': 1,
  'run.resumed': 1,
  'run.params_logged': 1,
  'run.tags_set': 1,
  'run.tags_deleted': 1,
  'run.artifact_logged': 1,
  'run.media_logged': 1,
  'run.finished': 1,
  'run.failed': 2,
  'run.killed': 1,
  'metrics.logged': 1,
  'model.created': 1,
  'model.renamed': 1,
  'model.described': 1,
  'model.tags_set': 1,
  'model.tags_deleted': 1,
  'model.deleted': 1,
  'model.policy_set': 1,
  'model.version_registered': 1,
  'model.version_tags_set': 1,
  'model.version_tags_deleted': 1,
  'model.version_described': 1,
  'model.version_deleted': 1,
  'model.alias_set': 1,
  'model.alias_deleted': 1,
  'model.stage_transitioned': 1,
  'model.approval_requested': 1,
  'model.approval_granted': 1,
  'model.approval_rejected': 1,
  'name.claimed': 1,
  'name.released': 1,
};

type Upcaster = (envelope: EventEnvelope) => EventEnvelope;

/**
 * `${type}@${v}` → a function lifting that version by one. Old shapes are read here and only here;
 * the log is never rewritten, so the hash of a stored event stays the hash of what was written.
 */
const UPCASTERS: Record<string, Upcaster> = {
  // A v1 run started when it was created, and had neither sweep nor parent.
  'run.created@1': (envelope) => {
    const old = envelope.payload as RunCreatedV1['payload'];
    const payload: RunCreated['payload'] = {
      runId: old.runId,
      experimentId: old.experimentId,
      name: old.name,
      createdAt: old.startTime,
      startTime: old.startTime,
      sweepId: null,
      parentRunId: null,
    };
    return { ...envelope, v: 2, payload };
  },
  'run.failed@1': (envelope) => {
    const old = envelope.payload as RunFailedV1['payload'];
    const payload: RunFailed['payload'] = { ...old, stackTrace: null };
    return { ...envelope, v: 2, payload };
  },
};

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
