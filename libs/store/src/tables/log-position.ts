import { readTimeout, type ClickHouse } from '../clickhouse';
import { tsvString } from '../tsv';

/** Where a projected row came from in the log. */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: number;
}

export const LOG_POSITION_COLUMNS = ['_log_topic', '_log_partition', '_log_offset'] as const;

export function tsvPosition(position: LogPosition): string {
  return `${tsvString(position.topic)}\t${position.partition}\t${position.offset}`;
}

export const PROJECTED_TABLES = [
  'events',
  'experiments',
  'sweeps',
  'runs',
  'params',
  'tags',
  'run_inputs',
  'artifacts',
  'metric_points',
] as const;
export type ProjectedTable = (typeof PROJECTED_TABLES)[number];

/**
 * The highest log offset already projected into `table`, per partition of `topic`. A single INSERT of one block
 * lands atomically in a MergeTree part, so everything at or below this offset is in the table.
 */
export async function getProjectionWatermarks(
  ch: ClickHouse,
  table: ProjectedTable,
  topic: string,
): Promise<Map<number, number>> {
  const result = await ch.client.query({
    query: `SELECT _log_partition AS partition, max(_log_offset) AS offset
            FROM ${ch.database}.${table} WHERE _log_topic = {topic:String} GROUP BY _log_partition`,
    query_params: { topic },
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  const rows = await result.json<{ partition: number; offset: string | number }>();
  return new Map(rows.map((row) => [Number(row.partition), Number(row.offset)]));
}
