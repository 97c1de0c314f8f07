import { groupByRun } from './by-run';
import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `tags`: a run's tags, latest per key; a removed tag is a row with `_is_deleted` (ReplacingMergeTree). */
export interface TagRow {
  runId: string;
  key: string;
  value: string;
  deleted: boolean;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (001). */
export const TAG_COLUMNS = [
  'run_id',
  'key',
  'value',
  '_version',
  '_is_deleted',
  ...LOG_POSITION_COLUMNS,
] as const;

export const formatTagRow = (row: TagRow): string =>
  [
    tsvString(row.runId),
    tsvString(row.key),
    tsvString(row.value),
    row.position.offset,
    row.deleted ? 1 : 0,
    tsvPosition(row.position),
  ].join('\t');

export function insertTags(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertTags',
    table: 'tags',
    columns: TAG_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface TagView {
  key: string;
  value: string;
}

/** Each run's tags by key, for many runs in one query. */
export async function getRunTags(
  reader: ClickhouseReader,
  runIds: readonly string[],
): Promise<Map<string, TagView[]>> {
  const found = await reader.query<TagView & { runId: string }>({
    name: 'getRunTags',
    sql: `SELECT run_id AS runId, key, value FROM ${reader.database}.tags FINAL WHERE run_id IN {runIds:Array(String)}
     ORDER BY run_id, key`,
    params: { runIds },
  });
  return groupByRun(found);
}
