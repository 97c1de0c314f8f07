import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvNullableString, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `sweeps`: one row per sweep (ReplacingMergeTree on `_version`, the log offset). */
export interface SweepRow {
  sweepId: string;
  workspace: string;
  experimentId: string;
  name: string;
  method: string;
  searchSpaceJson: string;
  objective: { metric: string; goal: string } | null;
  createdAt: number;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (003, 011). */
export const SWEEP_COLUMNS = [
  'sweep_id',
  'experiment_id',
  'name',
  'method',
  'search_space',
  'objective_metric',
  'objective_goal',
  'created_at',
  '_version',
  ...LOG_POSITION_COLUMNS,
  'workspace',
] as const;

export const formatSweepRow = (row: SweepRow): string =>
  [
    tsvString(row.sweepId),
    tsvString(row.experimentId),
    tsvString(row.name),
    tsvString(row.method),
    tsvString(row.searchSpaceJson),
    tsvNullableString(row.objective?.metric ?? null),
    tsvNullableString(row.objective?.goal ?? null),
    tsvMillis(row.createdAt),
    row.position.offset,
    tsvPosition(row.position),
    tsvString(row.workspace),
  ].join('\t');

export function insertSweeps(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertSweeps',
    table: 'sweeps',
    columns: SWEEP_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface SweepView {
  sweepId: string;
  /** The workspace its events were written in. */
  workspace: string;
  experimentId: string;
  name: string;
  method: string;
  searchSpace: Record<string, unknown>;
  objective: { metric: string; goal: string } | null;
  createdAt: number;
}

/** Sweeps by id, in one query. */
export async function getSweeps(
  reader: ClickhouseReader,
  sweepIds: string[],
): Promise<Map<string, SweepView>> {
  const found = await reader.query<Record<string, string | null>>({
    name: 'getSweeps',
    sql: `SELECT sweep_id AS sweepId, experiment_id AS experimentId, name, method, search_space AS searchSpace,
       objective_metric AS metric, objective_goal AS goal, toUnixTimestamp64Milli(created_at) AS createdAt, workspace
     FROM ${reader.database}.sweeps FINAL WHERE sweep_id IN {sweepIds:Array(String)}`,
    params: { sweepIds },
  });
  return new Map(
    found.map((raw) => [
      String(raw.sweepId),
      {
        sweepId: String(raw.sweepId),
        workspace: String(raw.workspace),
        experimentId: String(raw.experimentId),
        name: String(raw.name),
        method: String(raw.method),
        searchSpace: JSON.parse(String(raw.searchSpace)) as Record<string, unknown>,
        objective: raw.metric === null ? null : { metric: String(raw.metric), goal: String(raw.goal) },
        createdAt: Number(raw.createdAt),
      },
    ]),
  );
}
