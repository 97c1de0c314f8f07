import { readTimeout, type ArrowColumn, type ClickHouse } from './clickhouse';
import { Readable } from 'node:stream';
import { tsvBody } from './tsv';

/**
 * The two ways into ClickHouse (trigger.dev's ClickhouseReader / ClickhouseWriter): table modules take one of
 * these, never the client. Every operation carries a `name`, which prefixes its errors, so a failure says which
 * read or insert it was.
 */

/** A read: SQL with `{name:Type}` placeholders, and the values bound to them. */
export interface ReadOperation {
  name: string;
  sql: string;
  params?: Record<string, unknown>;
}

/** Rows of a read, and how many rows ClickHouse read to produce them. */
export interface MeasuredRows<T> {
  rows: T[];
  rowsRead: number;
}

export interface ClickhouseReader {
  /** The database every table lives in; SQL names tables `${reader.database}.<table>`. */
  readonly database: string;
  query<T>(operation: ReadOperation): Promise<T[]>;
  /** The same read, with its cost: rows read by ClickHouse, from the query's own statistics. */
  queryMeasured<T>(operation: ReadOperation): Promise<MeasuredRows<T>>;
}

/** An insert of whole TabSeparated lines, each ending in a newline, into `columns` of `database.table`. */
export interface InsertOperation {
  name: string;
  table: string;
  columns: readonly string[];
  body: string;
  /** Added to the single-part settings. */
  settings?: Record<string, string>;
}

/**
 * An insert of columns: on chDB the typed arrays go in as they are (`arrow`, read by `select` from the table
 * functions it is given, one per column set); elsewhere as TabSeparated text made only then (`tsv`, whole lines
 * of `columns`).
 */
export interface ColumnarInsertOperation {
  name: string;
  table: string;
  columns: readonly string[];
  rows: number;
  arrow: Record<string, readonly ArrowColumn[]>;
  /** `SELECT … FROM …` over the column sets' table functions, giving `columns` in order. */
  select: (sources: Record<string, string>) => string;
  /** The rows as one Arrow IPC stream of `columns`: how a server over HTTP gets them. */
  arrowStream: () => Uint8Array;
  /** Added to the single-part settings (an insert deduplication token, say). */
  settings?: Record<string, string>;
}

/** A statement that returns no rows: maintenance of what is stored (reloading a dictionary, materializing a TTL). */
export interface CommandOperation {
  name: string;
  sql: string;
}

export interface ClickhouseWriter {
  readonly database: string;
  /** Awaited, never fire-and-forget; an empty body inserts nothing. */
  insert(operation: InsertOperation): Promise<void>;
  /** Awaited; no rows, no insert. */
  insertColumns(operation: ColumnarInsertOperation): Promise<void>;
  command(operation: CommandOperation): Promise<void>;
}

function named(name: string, error: unknown): unknown {
  if (error instanceof Error) error.message = `${name}: ${error.message}`;
  return error;
}

/** NaN and infinities come out as "nan", "inf", "-inf" instead of null, so they survive to the reader. */
const READ_SETTINGS = { output_format_json_quote_denormals: 1 } as const;

export function readerFor(ch: ClickHouse): ClickhouseReader {
  return {
    database: ch.database,
    async query<T>({ name, sql, params }: ReadOperation): Promise<T[]> {
      try {
        const result = await ch.client.query({
          query: sql,
          query_params: params,
          format: 'JSONEachRow',
          abort_signal: readTimeout(),
          clickhouse_settings: READ_SETTINGS,
        });
        return await result.json<T>();
      } catch (error) {
        throw named(name, error);
      }
    },
    /**
     * The JSON format carries the query's statistics (`rows_read`), on a ClickHouse server and on chDB alike. The
     * other places are not usable here: chDB's result summary (in process and through the chDB HTTP front's
     * X-ClickHouse-Summary) counts result rows, not rows read, and chDB keeps no system.query_log.
     */
    async queryMeasured<T>({ name, sql, params }: ReadOperation): Promise<MeasuredRows<T>> {
      try {
        const result = await ch.client.query({
          query: sql,
          query_params: params,
          format: 'JSON',
          abort_signal: readTimeout(),
          clickhouse_settings: READ_SETTINGS,
        });
        const body = await result.json<T>();
        return { rows: body.data, rowsRead: Number(body.statistics?.rows_read ?? 0) };
      } catch (error) {
        throw named(name, error);
      }
    },
  };
}

const SINGLE_PART_ROWS = '100000000';
const SINGLE_PART_BYTES = '4294967296';

/**
 * Squash the whole body into one block, hence one part: an insert lands entirely or not at all. (An INSERT …
 * SELECT squashes the same way, written by one thread.)
 */
const SINGLE_PART_SETTINGS = {
  max_insert_block_size: SINGLE_PART_ROWS,
  min_insert_block_size_rows: SINGLE_PART_ROWS,
  min_insert_block_size_bytes: SINGLE_PART_BYTES,
  max_insert_threads: '1',
};

/** chDB gets the body's bytes directly (`rawInsert`), a server over HTTP. */
export function writerFor(ch: ClickHouse): ClickhouseWriter {
  const insert = async ({ name, table, columns, body, settings: extra }: InsertOperation): Promise<void> => {
    if (body.length === 0) return;
    const settings = { ...SINGLE_PART_SETTINGS, ...extra };
    try {
      if (ch.rawInsert) {
        await ch.rawInsert({
          table: `${ch.database}.${table}`,
          columns,
          format: 'TabSeparated',
          body,
          settings,
        });
        return;
      }
      await ch.client.insert({
        table: `${ch.database}.${table}`,
        values: tsvBody(body),
        format: 'TabSeparated',
        columns: [...columns] as [string, ...string[]],
        clickhouse_settings: settings,
      });
    } catch (error) {
      throw named(name, error);
    }
  };
  return {
    database: ch.database,
    insert,
    async insertColumns(operation: ColumnarInsertOperation): Promise<void> {
      if (operation.rows === 0) return;
      const { name, table, columns } = operation;
      const settings = { ...SINGLE_PART_SETTINGS, ...operation.settings };
      try {
        if (!ch.arrowInsert) {
          // A server reads the stream's typed columns as they are: no number is printed or parsed as text.
          const result = await ch.client.exec({
            query: `INSERT INTO ${ch.database}.${table} (${columns.join(', ')}) FORMAT ArrowStream`,
            values: Readable.from([Buffer.from(operation.arrowStream())]),
            clickhouse_settings: settings,
          });
          result.stream.destroy();
          return;
        }
        await ch.arrowInsert({
          tables: operation.arrow,
          sql: (sources) =>
            `INSERT INTO ${ch.database}.${table} (${columns.join(', ')}) ${operation.select(sources)}
             SETTINGS ${Object.entries(settings)
               .map(([setting, value]) => `${setting} = ${sqlSettingValue(value)}`)
               .join(', ')}`,
        });
      } catch (error) {
        throw named(name, error);
      }
    },
    async command({ name, sql }: CommandOperation): Promise<void> {
      try {
        await ch.client.command({ query: sql });
      } catch (error) {
        throw named(name, error);
      }
    },
  };
}

/**
 * An Int64 parameter. Bucket edges around steps near ±2^53 fall outside the safe integers, which chDB's parameter
 * serializer refuses as numbers; the same integral value goes as its decimal text, which ClickHouse reads exactly.
 */
export function int64(value: number): number | string {
  return Number.isSafeInteger(value) ? value : BigInt(value).toString();
}

/** A string literal for SQL, for the few values that cannot be bound (settings, a dictionary's DDL). */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A setting's value in a SETTINGS clause: numbers as they are, anything else as a quoted string. */
function sqlSettingValue(value: string): string {
  return /^-?\d+$/.test(value) ? value : sqlString(value);
}

/** Lines as an insert body: each ends in a newline; no lines, no body. */
export function tsvLinesBody(lines: readonly string[]): string {
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
