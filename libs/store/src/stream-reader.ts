import type { ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouse } from './clickhouse';
import type { StreamFormat } from './format-splice';

export type { StreamFormat } from './format-splice';
export { StreamReadersBusyError } from './session-pool';

/** A read whose answer is wanted as bytes in one of ClickHouse's own output formats, as it is produced. */
export interface StreamReadOperation {
  name: string;
  /** One SELECT with `{name:Type}` placeholders, without FORMAT or SETTINGS. */
  sql: string;
  params?: Record<string, unknown>;
  format: StreamFormat;
  /** Output settings (the code's own values, never a caller's). */
  settings?: Record<string, string | number>;
  /** Ends the read: the consumer went away. */
  signal?: AbortSignal;
}

/**
 * The third way into ClickHouse, beside ClickhouseReader and ClickhouseWriter: answers too large to hold, pulled
 * chunk by chunk, so a slow consumer slows the read instead of filling memory. One continuous answer in the
 * format asked, on a server (its HTTP body, through the exec of a client with sockets of its own, so reads never
 * wait behind streams) and on chDB (chdb-streams.ts) alike.
 * Errors found before the first chunk reject the first pull; the ones after end the stream with them.
 */
export interface ClickhouseStreamReader {
  readonly database: string;
  stream(operation: StreamReadOperation): AsyncIterable<Uint8Array>;
}

export function streamReaderFor(ch: ClickHouse): ClickhouseStreamReader {
  return {
    database: ch.database,
    stream(operation) {
      const chdbStream = ch.streamQuery;
      if (chdbStream) {
        return named(
          operation.name,
          chdbStream({
            sql: operation.sql,
            params: operation.params ?? {},
            format: operation.format,
            settings: operation.settings ?? {},
            signal: operation.signal,
          }),
        );
      }
      return named(operation.name, serverStream(ch, operation));
    },
  };
}

async function* serverStream(ch: ClickHouse, operation: StreamReadOperation): AsyncGenerator<Uint8Array> {
  // No read timeout on the whole answer: it may take minutes to a slow reader. The client's socket timeout still
  // ends one that stalls.
  const result = await (ch.streamClient ?? ch.client).exec({
    query: `${operation.sql}\nFORMAT ${operation.format}`,
    query_params: operation.params,
    clickhouse_settings: operation.settings as ClickHouseSettings | undefined,
    abort_signal: operation.signal,
  });
  try {
    for await (const chunk of result.stream) yield chunk as Uint8Array;
  } finally {
    result.stream.destroy();
  }
}

async function* named(name: string, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    if (error instanceof Error) error.message = `${name}: ${error.message}`;
    throw error;
  }
}
