import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvNullableString, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `events`: every event as projected, one row per log record it arrived in. */
export interface EventRow {
  id: string;
  type: string;
  v: number;
  stream: string;
  workspace: string;
  actor: string;
  occurredAt: number;
  recordedAt: number;
  prevHash: string | null;
  hash: string;
  payloadJson: string;
  position: LogPosition;
  requestDigest: string | null;
  /** Who the actor said it acted for, when its role allows it (x-runlog-actor). */
  onBehalfOf: string | null;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (001, 006, 011). */
export const EVENT_COLUMNS = [
  'id',
  'type',
  'v',
  'stream',
  'workspace',
  'actor',
  'occurred_at',
  'recorded_at',
  'prev_hash',
  'hash',
  'payload',
  ...LOG_POSITION_COLUMNS,
  'request_digest',
  'on_behalf_of',
] as const;

export const formatEventRow = (row: EventRow): string =>
  [
    row.id,
    tsvString(row.type),
    row.v,
    tsvString(row.stream),
    tsvString(row.workspace),
    tsvString(row.actor),
    tsvMillis(row.occurredAt),
    tsvMillis(row.recordedAt),
    tsvNullableString(row.prevHash),
    row.hash,
    tsvString(row.payloadJson),
    tsvPosition(row.position),
    tsvNullableString(row.requestDigest),
    tsvNullableString(row.onBehalfOf),
  ].join('\t');

export function insertEvents(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertEvents',
    table: 'events',
    columns: EVENT_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface EventView {
  id: string;
  type: string;
  actor: string;
  onBehalfOf: string | null;
  workspace: string;
  occurredAt: number;
  recordedAt: number;
  prevHash: string | null;
  hash: string;
  offset: number;
}

/** A stream's events as projected, in log order: the audit trail of one run. */
export async function getStreamEvents(
  reader: ClickhouseReader,
  stream: string,
  limit: number,
): Promise<EventView[]> {
  const found = await reader.query<Record<keyof EventView, string | number | null>>({
    name: 'getStreamEvents',
    sql: `SELECT toString(id) AS id, type, actor, on_behalf_of AS onBehalfOf, workspace, toUnixTimestamp64Milli(occurred_at) AS occurredAt,
       toUnixTimestamp64Milli(recorded_at) AS recordedAt, prev_hash AS prevHash, hash, _log_offset AS offset
     FROM ${reader.database}.events WHERE stream = {stream:String}
     ORDER BY _log_topic, _log_partition, _log_offset LIMIT 1 BY id LIMIT {limit:UInt32}`,
    params: { stream, limit },
  });
  return found.map((row) => ({
    id: String(row.id),
    type: String(row.type),
    actor: String(row.actor),
    onBehalfOf: row.onBehalfOf === null ? null : String(row.onBehalfOf),
    workspace: String(row.workspace),
    occurredAt: Number(row.occurredAt),
    recordedAt: Number(row.recordedAt),
    prevHash: row.prevHash === null ? null : String(row.prevHash),
    hash: String(row.hash),
    offset: Number(row.offset),
  }));
}

/** Offsets of a stream's events as the events table holds them (id → offset), for re-folding a snapshot. */
export async function projectedEventOffsets(
  reader: ClickhouseReader,
  stream: string,
): Promise<Map<string, number>> {
  const rows = await reader.query<{ id: string; offset: string | number }>({
    name: 'projectedEventOffsets',
    sql: `SELECT toString(id) AS id, _log_offset AS offset FROM ${reader.database}.events
            WHERE stream = {stream:String}`,
    params: { stream },
  });
  return new Map(rows.map((row) => [row.id, Number(row.offset)]));
}

/** Where an event of a stream is in the log, as the events table indexes it. */
export interface EventPosition {
  topic: string;
  partition: number;
  offset: number;
  workspace: string;
  recordedAt: number;
}

/**
 * The log positions of a stream's events recorded within [fromMs, toMs] (either bound optional), in log order: the
 * index time travel reads the events themselves through, from the log, as recorded.
 */
export async function getStreamPositions(
  reader: ClickhouseReader,
  stream: string,
  bounds: { fromMs?: number; toMs?: number; limit: number },
): Promise<EventPosition[]> {
  const found = await reader.query<Record<keyof EventPosition, string | number>>({
    name: 'getStreamPositions',
    sql: `SELECT _log_topic AS topic, _log_partition AS partition, _log_offset AS offset, workspace,
       toUnixTimestamp64Milli(recorded_at) AS recordedAt
     FROM ${reader.database}.events
     WHERE stream = {stream:String}
       AND recorded_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
       AND recorded_at <= fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
     ORDER BY _log_topic, _log_partition, _log_offset LIMIT 1 BY _log_topic, _log_partition, _log_offset
     LIMIT {limit:UInt32}`,
    params: {
      stream,
      fromMs: bounds.fromMs ?? 0,
      // DateTime64(3)'s range ends in 2299.
      toMs: bounds.toMs ?? 10_000_000_000_000,
      limit: bounds.limit,
    },
  });
  return found.map((row) => ({
    topic: String(row.topic),
    partition: Number(row.partition),
    offset: Number(row.offset),
    workspace: String(row.workspace),
    recordedAt: Number(row.recordedAt),
  }));
}

/** A row of the events table as stored, for comparing the projection with the log it was made from. */
export interface ProjectedEventRow {
  offset: number;
  id: string;
  type: string;
  v: number;
  stream: string;
  workspace: string;
  actor: string;
  onBehalfOf: string | null;
  requestDigest: string | null;
  occurredAt: number;
  recordedAt: number;
  prevHash: string | null;
  hash: string;
  payload: string;
}

/** Rows of one partition in [fromOffset, toOffset), in offset order (duplicates of a replayed row included). */
export async function getEventRowsPage(
  reader: ClickhouseReader,
  at: { topic: string; partition: number; fromOffset: number; toOffset: number; limit: number },
): Promise<ProjectedEventRow[]> {
  const found = await reader.query<Record<keyof ProjectedEventRow, string | number | null>>({
    name: 'getEventRowsPage',
    sql: `SELECT _log_offset AS offset, toString(id) AS id, type, v, stream, workspace, actor, on_behalf_of AS onBehalfOf,
       request_digest AS requestDigest, toUnixTimestamp64Milli(occurred_at) AS occurredAt,
       toUnixTimestamp64Milli(recorded_at) AS recordedAt, prev_hash AS prevHash, hash, payload
     FROM ${reader.database}.events
     WHERE _log_topic = {topic:String} AND _log_partition = {partition:UInt32}
       AND _log_offset >= {fromOffset:UInt64} AND _log_offset < {toOffset:UInt64}
     ORDER BY _log_offset, hash LIMIT {limit:UInt32}`,
    params: at,
  });
  return found.map((row) => ({
    offset: Number(row.offset),
    id: String(row.id),
    type: String(row.type),
    v: Number(row.v),
    stream: String(row.stream),
    workspace: String(row.workspace),
    actor: String(row.actor),
    onBehalfOf: row.onBehalfOf === null ? null : String(row.onBehalfOf),
    requestDigest: row.requestDigest === null ? null : String(row.requestDigest),
    occurredAt: Number(row.occurredAt),
    recordedAt: Number(row.recordedAt),
    prevHash: row.prevHash === null ? null : String(row.prevHash),
    hash: String(row.hash),
    payload: String(row.payload),
  }));
}

/** Where the event with this id is in the log, as the events table indexes it; null when it has no row. */
export async function findEventPosition(reader: ClickhouseReader, id: string): Promise<EventPosition | null> {
  const [row] = await reader.query<Record<keyof EventPosition, string | number>>({
    name: 'findEventPosition',
    sql: `SELECT _log_topic AS topic, _log_partition AS partition, _log_offset AS offset, workspace,
       toUnixTimestamp64Milli(recorded_at) AS recordedAt
     FROM ${reader.database}.events WHERE id = toUUIDOrZero({id:String}) AND id != toUUID('00000000-0000-0000-0000-000000000000')
     ORDER BY _log_topic, _log_partition, _log_offset LIMIT 1`,
    params: { id },
  });
  if (!row) return null;
  return {
    topic: String(row.topic),
    partition: Number(row.partition),
    offset: Number(row.offset),
    workspace: String(row.workspace),
    recordedAt: Number(row.recordedAt),
  };
}
