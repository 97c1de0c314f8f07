import { EventSchemas } from '../../../../libs/events/src/event-schemas';
import { UnknownEventError, upcast } from '../../../../libs/events/src/upcasters';
import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import type { StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import { dlq, ok, type StepResult } from '../pipeline/results';

export interface ParseRecordDeps {
  schemas: EventSchemas;
  /** Lifts a stored envelope to its current version; a deployed fix (a new upcaster) arrives through here. */
  upcast: (envelope: EventEnvelope) => StoredEvent;
}

/**
 * Reads a log record as the current version of its event, checked against that version's payload schema, or
 * dead-letters it with the reason: a record the projector cannot read in full is never half-projected.
 */
export function createParseRecordStep(deps: Partial<ParseRecordDeps> = {}) {
  const schemas = deps.schemas ?? new EventSchemas();
  const lift = deps.upcast ?? upcast;
  return function parseRecordStep<T extends { record: LogRecord }>(
    input: T,
  ): StepResult<T & { event: StoredEvent }> {
    try {
      const event = lift(input.record.event);
      const invalid = schemas.check(event.type, event.v, event.payload);
      if (invalid !== null) return dlq('invalid_payload', new Error(invalid));
      return ok({ ...input, event });
    } catch (error) {
      if (error instanceof UnknownEventError) return dlq(error.reason, error);
      return dlq('failed_upcast', error);
    }
  };
}

export type ParseRecordStep = ReturnType<typeof createParseRecordStep>;
