import { groupByRun } from './by-run';
import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvNullableFloat, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `params`: a run's parameters, latest per key (ReplacingMergeTree on `_version`, the log offset). */
export interface ParamRow {
  runId: string;
  key: string;
  value: string;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (001). */
export const PARAM_COLUMNS = [
  'run_id',
  'key',
  'value',
  'value_num',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;

/** Params are strings (as in MLflow); a numeric twin makes range filters cheap. */
export function numericValue(value: string): number | null {
  if (value.trim() === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

export const formatParamRow = (row: ParamRow): string =>
  [
    tsvString(row.runId),
    tsvString(row.key),
    tsvString(row.value),
    tsvNullableFloat(numericValue(row.value)),
    row.position.offset,
    tsvPosition(row.position),
  ].join('\t');

export function insertParams(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertParams',
    table: 'params',
    columns: PARAM_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface ParamView {
  key: string;
  value: string;
}

/** Each run's params by key, for many runs in one query (a list of runs asks for all of theirs at once). */
export async function getRunParams(
  reader: ClickhouseReader,
  runIds: readonly string[],
): Promise<Map<string, ParamView[]>> {
  const found = await reader.query<ParamView & { runId: string }>({
    name: 'getRunParams',
    sql: `SELECT run_id AS runId, key, value FROM ${reader.database}.params FINAL WHERE run_id IN {runIds:Array(String)}
     ORDER BY run_id, key`,
    params: { runIds },
  });
  return groupByRun(found);
}
