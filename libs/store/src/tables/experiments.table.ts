import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { scopeCondition, type ReadScope } from './read-scope';
import { tsvMillis, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `experiments`: one row per experiment (ReplacingMergeTree on `_version`, the log offset). */
export interface ExperimentRow {
  experimentId: string;
  workspace: string;
  name: string;
  createdAt: number;
  archived: boolean;
  /** null: raw points are kept for ever (stored as 0). */
  rawPointsMaxAgeDays: number | null;
  tags: Readonly<Record<string, string>>;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (001, 003, 008, 011, 014). */
export const EXPERIMENT_COLUMNS = [
  'experiment_id',
  'name',
  'created_at',
  'archived',
  'raw_points_max_age_days',
  '_version',
  ...LOG_POSITION_COLUMNS,
  'workspace',
  'tags_json',
] as const;

export const formatExperimentRow = (row: ExperimentRow): string =>
  [
    tsvString(row.experimentId),
    tsvString(row.name),
    tsvMillis(row.createdAt),
    row.archived ? 1 : 0,
    row.rawPointsMaxAgeDays ?? 0,
    row.position.offset,
    tsvPosition(row.position),
    tsvString(row.workspace),
    tsvString(JSON.stringify(row.tags)),
  ].join('\t');

export function insertExperiments(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertExperiments',
    table: 'experiments',
    columns: EXPERIMENT_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface ExperimentView {
  experimentId: string;
  /** The workspace its events were written in. */
  workspace: string;
  name: string;
  createdAt: number;
  archived: boolean;
  rawPointsMaxAgeDays: number | null;
  tags: Readonly<Record<string, string>>;
}

const EXPERIMENT_SELECT = `SELECT experiment_id AS experimentId, name, toUnixTimestamp64Milli(created_at) AS createdAt,
  archived, raw_points_max_age_days AS rawPointsMaxAgeDays, workspace, tags_json AS tagsJson`;
type RawExperiment = {
  experimentId: string;
  workspace: string;
  name: string;
  createdAt: string;
  archived: number | string;
  rawPointsMaxAgeDays: number | string;
  tagsJson: string;
};
const toExperimentView = ({ tagsJson, ...raw }: RawExperiment): ExperimentView => ({
  ...raw,
  createdAt: Number(raw.createdAt),
  archived: Number(raw.archived) === 1,
  rawPointsMaxAgeDays: Number(raw.rawPointsMaxAgeDays) || null,
  tags: JSON.parse(tagsJson || '{}') as Record<string, string>,
});

export async function getExperiment(
  reader: ClickhouseReader,
  experimentId: string,
): Promise<ExperimentView | null> {
  const found = await reader.query<RawExperiment>({
    name: 'getExperiment',
    sql: `${EXPERIMENT_SELECT} FROM ${reader.database}.experiments FINAL WHERE experiment_id = {experimentId:String}`,
    params: { experimentId },
  });
  return found.length === 0 ? null : toExperimentView(found[0]);
}

/** Experiments by name, archived ones only when asked for. */
export async function listExperiments(
  reader: ClickhouseReader,
  includeArchived: boolean,
  limit: number,
  scope: ReadScope = 'all',
): Promise<ExperimentView[]> {
  const inScope = scopeCondition(scope);
  const found = await reader.query<RawExperiment>({
    name: 'listExperiments',
    sql: `${EXPERIMENT_SELECT} FROM ${reader.database}.experiments FINAL
     WHERE ${inScope.sql} ${includeArchived ? '' : 'AND archived = 0'}
     ORDER BY name, experiment_id LIMIT {limit:UInt32}`,
    params: { ...inScope.params, limit },
  });
  return found.map(toExperimentView);
}

/** The experiments with exactly this name in the scope (one per workspace at most), archived ones too. */
export async function findExperimentsByName(
  reader: ClickhouseReader,
  name: string,
  scope: ReadScope = 'all',
): Promise<ExperimentView[]> {
  const inScope = scopeCondition(scope);
  const found = await reader.query<RawExperiment>({
    name: 'findExperimentsByName',
    sql: `${EXPERIMENT_SELECT} FROM ${reader.database}.experiments FINAL
     WHERE name = {name:String} AND ${inScope.sql} ORDER BY archived, workspace LIMIT 100`,
    params: { ...inScope.params, name },
  });
  return found.map(toExperimentView);
}
