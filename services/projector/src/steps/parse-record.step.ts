import { UnknownEventError, upcast } from '../../../../libs/events/src/upcasters';
import type { StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import { dlq, ok, type StepResult } from '../pipeline/results';

/** Reads a log record as the current version of its event, or dead-letters it with the reason. */
export function createParseRecordStep() {
  return function parseRecordStep<T extends { record: LogRecord }>(
    input: T,
  ): StepResult<T & { event: StoredEvent }> {
    try {
      return ok({ ...input, event: upcast(input.record.event) });
    } catch (error) {
      if (error instanceof UnknownEventError) return dlq(error.reason, error);
      return dlq('failed_upcast', error);
    }
  };
}
