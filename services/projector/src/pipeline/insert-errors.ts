/**
 * Whether a failed insert is the data's fault (isolate the record and dead-letter it) or the engine's (retry the
 * batch later). @clickhouse/client and chDB through chdb/connection both throw its `ClickHouseError`, whose `type`
 * is the engine's error name (chDB, a TSV line with `urn:uuid:…` in a UUID column: code "376",
 * type CANNOT_PARSE_UUID); network failures are plain errors with a socket `code` (ECONNREFUSED) or a message.
 *
 * Only error names that can come from the bytes of a row count as data errors. Everything else (an outage, a full
 * disk, a read-only table, a missing table, an error never seen before) is retried: a record that blocks shows
 * up on /healthz as a stall, whereas a wrong guess the other way would dead-letter every record of an outage.
 */
export type InsertFailureKind = 'data' | 'transient';

const DATA_ERROR_NAME =
  /^(CANNOT_PARSE_\w+|CANNOT_READ_\w+|CANNOT_CONVERT_TYPE|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|INCORRECT_DATA|TYPE_MISMATCH|VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE|ARGUMENT_OUT_OF_BOUND|TOO_LARGE_STRING_SIZE|TOO_LARGE_ARRAY_SIZE|DECIMAL_OVERFLOW|ATTEMPT_TO_READ_AFTER_EOF|INCORRECT_NUMBER_OF_COLUMNS|SIZES_OF_ARRAYS_DONT_MATCH|CANNOT_PARSE_INPUT_ASSERTION_FAILED)$/;

/** Named here so a reader sees they were considered; they are retried like any name not listed as data. */
export const TRANSIENT_ERROR_NAMES = [
  'MEMORY_LIMIT_EXCEEDED',
  'TOO_MANY_PARTS',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'TIMEOUT_EXCEEDED',
  'SOCKET_TIMEOUT',
  'NETWORK_ERROR',
  'TABLE_IS_READ_ONLY',
  'NOT_ENOUGH_SPACE',
  'UNKNOWN_TABLE',
  'ABORTED',
] as const;

/** ClickHouse's error as both clients throw it, read structurally (two copies of the class may be loaded). */
function engineErrorName(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { type, code } = error as Error & { type?: unknown; code?: unknown };
  // ClickHouseError's code is the numeric code as a string; a socket error's code is a name like ECONNRESET.
  if (typeof type === 'string' && typeof code === 'string' && /^\d+$/.test(code)) return type;
  return undefined;
}

export function classifyInsertFailure(error: unknown): InsertFailureKind {
  const name = engineErrorName(error);
  if (name === undefined) return 'transient';
  if ((TRANSIENT_ERROR_NAMES as readonly string[]).includes(name)) return 'transient';
  return DATA_ERROR_NAME.test(name) ? 'data' : 'transient';
}

/** An engine error's text for a dead letter: bounded, so a huge echoed row cannot bloat the log. */
export function describeError(error: unknown): string {
  const name = engineErrorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const text = name ? `${name}: ${message}` : message;
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** The engine did not answer a ping while a record was being isolated: retry the batch, dead-letter nothing. */
export class EngineUnavailableError extends Error {
  readonly code = 'engine_unavailable';
  readonly retry = true;
  constructor(cause: unknown) {
    super('ClickHouse did not answer a ping while isolating a failed insert; the batch will be retried', {
      cause,
    });
  }
}
