import { readTimeout, type ClickHouse } from '../clickhouse';
import { tsvBody, tsvMillis, tsvNullableMillis, tsvNullableString, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition, type ProjectedTable } from './log-position';

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

/** Must match the ClickHouse table's columns, in DDL order. */
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
export async function insertDeadLetterLines(ch: ClickHouse, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await ch.client.insert({
    table: `${ch.database}.dead_letters`,
    values: tsvBody(lines.join('\n') + '\n'),
    format: 'TabSeparated',
    columns: [...DEAD_LETTER_COLUMNS],
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
  ch: ClickHouse,
  status: DeadLetterStatus | 'all',
  limit: number,
): Promise<DeadLetterRow[]> {
  const result = await ch.client.query({
    query: `${SELECT} FROM ${ch.database}.dead_letters FINAL
            WHERE {status:String} = 'all' OR status = {status:String}
            ORDER BY topic, partition, offset LIMIT {limit:UInt32}`,
    query_params: { status, limit },
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  return (await result.json<RawDeadLetter>()).map((raw) => ({
    ...raw,
    partition: Number(raw.partition),
    offset: Number(raw.offset),
    deadLetteredAt: Number(raw.deadLetteredAt),
    resolvedAt: raw.resolvedAt === null ? null : Number(raw.resolvedAt),
  }));
}

/** Open dead letters per topic (topics without any are absent). */
export async function countOpenDeadLetters(ch: ClickHouse): Promise<Map<string, number>> {
  const result = await ch.client.query({
    query: `SELECT topic, count() AS open FROM ${ch.database}.dead_letters FINAL
            WHERE status = 'open' GROUP BY topic ORDER BY topic`,
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  const rows = await result.json<{ topic: string; open: string | number }>();
  return new Map(rows.map((row) => [row.topic, Number(row.open)]));
}

/** Whether `table` holds rows of the record at `position`: an insert lands whole, so any row means all of them. */
export async function tableHoldsPosition(
  ch: ClickHouse,
  table: ProjectedTable,
  position: LogPosition,
): Promise<boolean> {
  const result = await ch.client.query({
    query: `SELECT count() AS found FROM ${ch.database}.${table}
            WHERE _log_topic = {topic:String} AND _log_partition = {partition:UInt32}
              AND _log_offset = {offset:UInt64}`,
    query_params: { ...position },
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  const [row] = await result.json<{ found: string | number }>();
  return Number(row?.found ?? 0) > 0;
}

/** Offsets of a stream's events as the events table holds them (id → offset), for re-folding a snapshot. */
export async function projectedEventOffsets(ch: ClickHouse, stream: string): Promise<Map<string, number>> {
  const result = await ch.client.query({
    query: `SELECT toString(id) AS id, _log_offset AS offset FROM ${ch.database}.events
            WHERE stream = {stream:String}`,
    query_params: { stream },
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  const rows = await result.json<{ id: string; offset: string | number }>();
  return new Map(rows.map((row) => [row.id, Number(row.offset)]));
}
