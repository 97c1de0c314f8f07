import { EventSchemas } from '../../../../libs/events/src/event-schemas';
import { UnknownEventError, upcast } from '../../../../libs/events/src/upcasters';
import type { StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import { dlq, ok, type StepResult } from '../pipeline/results';

/**
 * Reads a log record as the current version of its event, checked against that version's payload schema, or
 * dead-letters it with the reason: a record the projector cannot read in full is never half-projected.
 */
export function createParseRecordStep(schemas = new EventSchemas()) {
  return function parseRecordStep<T extends { record: LogRecord }>(
    input: T,
  ): StepResult<T & { event: StoredEvent }> {
    try {
      const event = upcast(input.record.event);
      const invalid = schemas.check(event.type, event.v, event.payload);
      if (invalid !== null) return dlq('invalid_payload', new Error(invalid));
      return ok({ ...input, event });
    } catch (error) {
      if (error instanceof UnknownEventError) return dlq(error.reason, error);
      return dlq('failed_upcast', error);
    }
  };
}
