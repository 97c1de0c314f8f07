import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvNullableMillis, tsvNullableString, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

export const DEAD_LETTER_STATUSES = ['open', 'resolved'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/** A record the projector could not project, in its latest state (migration 005). */
export interface DeadLetterRow {
  topic: string;
  partition: number;
  offset: number;
  status: DeadLetterStatus;
  /** Short snake_case code: `invalid_payload`, `row_build_failed`, `insert_failed`, … */
  reason: string;
  /** The step that refused the record. */
  step: string;
  /** The tables that do not hold the record (every table for a record that could not be read). */
  tables: string[];
  error: string;
  eventId: string | null;
  eventType: string | null;
  stream: string | null;
  deadLetteredAt: number;
  resolvedAt: number | null;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (005). */
export const DEAD_LETTER_COLUMNS = [
  'topic',
  'partition',
  'offset',
  'status',
  'reason',
  'step',
  'tables',
  'error',
  'event_id',
  'event_type',
  'stream',
  'dead_lettered_at',
  'resolved_at',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;

const TABLE_NAME = /^[a-z_]{1,64}$/;

function tsvStringArray(values: string[]): string {
  // Only table names go here; anything else is dropped rather than escaped into an array literal.
  return `[${values
    .filter((value) => TABLE_NAME.test(value))
    .map((value) => `'${value}'`)
    .join(',')}]`;
}

/** One TSV line; `position` is where the deadletter event itself sits in the log (the row's version). */
export function formatDeadLetterRow(row: DeadLetterRow, position: LogPosition): string {
  return [
    tsvString(row.topic),
    row.partition,
    row.offset,
    row.status,
    tsvString(row.reason),
    tsvString(row.step),
    tsvStringArray(row.tables),
    tsvString(row.error),
    tsvNullableString(row.eventId),
    tsvNullableString(row.eventType),
    tsvNullableString(row.stream),
    tsvMillis(row.deadLetteredAt),
    tsvNullableMillis(row.resolvedAt),
    position.offset,
    tsvPosition(position),
  ].join('\t');
}

/** Replays insert the same versions again, which ReplacingMergeTree folds: no watermark is needed here. */
export function insertDeadLetters(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertDeadLetters',
    table: 'dead_letters',
    columns: DEAD_LETTER_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

interface RawDeadLetter {
  topic: string;
  partition: number;
  offset: string | number;
  status: DeadLetterStatus;
  reason: string;
  step: string;
  tables: string[];
  error: string;
  eventId: string | null;
  eventType: string | null;
  stream: string | null;
  deadLetteredAt: string | number;
  resolvedAt: string | number | null;
}

const SELECT = `SELECT topic, partition, offset, status, reason, step, tables, error, event_id AS eventId,
  event_type AS eventType, stream, toUnixTimestamp64Milli(dead_lettered_at) AS deadLetteredAt,
  toUnixTimestamp64Milli(resolved_at) AS resolvedAt`;

/** Oldest first: the order re-projection takes them in (log order per partition). */
export async function listDeadLetters(
  reader: ClickhouseReader,
  status: DeadLetterStatus | 'all',
  limit: number,
): Promise<DeadLetterRow[]> {
  const found = await reader.query<RawDeadLetter>({
    name: 'listDeadLetters',
    sql: `${SELECT} FROM ${reader.database}.dead_letters FINAL
            WHERE {status:String} = 'all' OR status = {status:String}
            ORDER BY topic, partition, offset LIMIT {limit:UInt32}`,
    params: { status, limit },
  });
  return found.map((raw) => ({
    ...raw,
    partition: Number(raw.partition),
    offset: Number(raw.offset),
    deadLetteredAt: Number(raw.deadLetteredAt),
    resolvedAt: raw.resolvedAt === null ? null : Number(raw.resolvedAt),
  }));
}

/** Open dead letters per topic (topics without any are absent). */
export async function countOpenDeadLetters(reader: ClickhouseReader): Promise<Map<string, number>> {
  const rows = await reader.query<{ topic: string; open: string | number }>({
    name: 'countOpenDeadLetters',
    sql: `SELECT topic, count() AS open FROM ${reader.database}.dead_letters FINAL
            WHERE status = 'open' GROUP BY topic ORDER BY topic`,
  });
  return new Map(rows.map((row) => [row.topic, Number(row.open)]));
}
