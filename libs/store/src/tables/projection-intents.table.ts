import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvString } from '../tsv';

/**
 * `projection_intents` (migration 009): per log partition, the last metric_points insert the projector began, with
 * the deduplication token it carried. Written before that insert; read when a projector starts on the partition,
 * to make the insert again if the log's position shows it was never committed (see metric-points.table.ts).
 */
export interface ProjectionIntent {
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  rows: number;
  token: string;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (009). */
export const PROJECTION_INTENT_COLUMNS = [
  'topic',
  'partition',
  'first_offset',
  'last_offset',
  'rows',
  'token',
] as const;

export function recordProjectionIntent(writer: ClickhouseWriter, intent: ProjectionIntent): Promise<void> {
  const line = [
    tsvString(intent.topic),
    intent.partition,
    intent.firstOffset,
    intent.lastOffset,
    intent.rows,
    tsvString(intent.token),
  ].join('\t');
  return writer.insert({
    name: 'recordProjectionIntent',
    table: 'projection_intents',
    columns: PROJECTION_INTENT_COLUMNS,
    body: tsvLinesBody([line]),
  });
}

export async function getProjectionIntent(
  reader: ClickhouseReader,
  topic: string,
  partition: number,
): Promise<ProjectionIntent | null> {
  const [row] = await reader.query<Record<string, string | number>>({
    name: 'getProjectionIntent',
    sql: `SELECT topic, partition, first_offset AS firstOffset, last_offset AS lastOffset, rows, token
     FROM ${reader.database}.projection_intents FINAL WHERE topic = {topic:String} AND partition = {partition:UInt32}`,
    params: { topic, partition },
  });
  if (!row) return null;
  return {
    topic: String(row.topic),
    partition: Number(row.partition),
    firstOffset: Number(row.firstOffset),
    lastOffset: Number(row.lastOffset),
    rows: Number(row.rows),
    token: String(row.token),
  };
}
