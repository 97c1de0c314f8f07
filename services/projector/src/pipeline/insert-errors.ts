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

/**
 * The engine's error codes that only the bytes of a row can cause, by number: the code leads the engine's message
 * (`Code: 27. DB::Exception: …`), whereas the name is read from its tail, where echoed row text such as a metric
 * key `acc(TOP5)` can stand in for it. Numbers checked against chDB's `errorCodeToName` (ClickHouse 26.7); the I/O
 * ones that share a prefix (CANNOT_READ_FROM_ISTREAM 23, _FILE_DESCRIPTOR 74, _SOCKET 95) are not among them.
 */
export const DATA_ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [7, 'INCORRECT_NUMBER_OF_COLUMNS'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [32, 'ATTEMPT_TO_READ_AFTER_EOF'],
  [33, 'CANNOT_READ_ALL_DATA'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [128, 'TOO_LARGE_ARRAY_SIZE'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [190, 'SIZES_OF_ARRAYS_DONT_MATCH'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [407, 'DECIMAL_OVERFLOW'],
  [441, 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING'],
  [467, 'CANNOT_PARSE_BOOL'],
]);

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
function engineError(error: unknown): { code: number; name: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { type, code } = error as Error & { type?: unknown; code?: unknown };
  // ClickHouseError's code is the numeric code as a string; a socket error's code is a name like ECONNRESET.
  if (typeof code !== 'string' || !/^\d+$/.test(code)) return undefined;
  const number = Number(code);
  return { code: number, name: DATA_ERROR_CODES.get(number) ?? (typeof type === 'string' ? type : '') };
}

export function classifyInsertFailure(error: unknown): InsertFailureKind {
  const engine = engineError(error);
  return engine !== undefined && DATA_ERROR_CODES.has(engine.code) ? 'data' : 'transient';
}

/** An engine error's text for a dead letter: bounded, so a huge echoed row cannot bloat the log. */
export function describeError(error: unknown): string {
  const engine = engineError(error);
  const message = error instanceof Error ? error.message : String(error);
  const text = engine?.name ? `${engine.name}: ${message}` : message;
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
