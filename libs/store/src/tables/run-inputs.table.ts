import type { RunInput } from '../../../events/src/run.events';
import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvNullableString, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';
import { scopeCondition, type ReadScope } from './read-scope';

/** `run_inputs`: the datasets a run read (ReplacingMergeTree on `_version`, the log offset). */
export interface RunInputRow {
  runId: string;
  input: RunInput;
  loggedAt: number;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (003, then 016's columns). */
export const RUN_INPUT_COLUMNS = [
  'run_id',
  'name',
  'digest',
  'source',
  'split',
  'rows',
  'schema_digest',
  'logged_at',
  '_version',
  ...LOG_POSITION_COLUMNS,
  'schema_text',
  'profile',
  'tags_json',
] as const;

export const formatRunInputRow = ({ runId, input, loggedAt, position }: RunInputRow): string =>
  [
    tsvString(runId),
    tsvString(input.name),
    tsvString(input.digest),
    tsvNullableString(input.source),
    tsvNullableString(input.split),
    input.rows === null ? '\\N' : input.rows,
    tsvNullableString(input.schemaDigest),
    tsvMillis(loggedAt),
    position.offset,
    tsvPosition(position),
    tsvNullableString(input.schema ?? null),
    tsvNullableString(input.profile ?? null),
    tsvString(JSON.stringify(input.tags ?? {})),
  ].join('\t');

export function insertRunInputs(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertRunInputs',
    table: 'run_inputs',
    columns: RUN_INPUT_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export type InputView = Required<RunInput> & { runId: string; loggedAt: number };

const INPUT_SELECT = `SELECT run_id AS runId, name, digest, source, split, rows, schema_digest AS schemaDigest,
  schema_text AS schema, profile, tags_json AS tagsJson, toUnixTimestamp64Milli(logged_at) AS loggedAt`;
type RawInput = Omit<InputView, 'rows' | 'loggedAt' | 'tags'> & {
  rows: string | number | null;
  loggedAt: string;
  tagsJson: string;
};
const toInputView = ({ tagsJson, ...raw }: RawInput): InputView => ({
  ...raw,
  rows: raw.rows === null ? null : Number(raw.rows),
  tags: JSON.parse(tagsJson || '{}') as Record<string, string>,
  loggedAt: Number(raw.loggedAt),
});

/** `by`: a run's inputs (what it read), or every run's input with one digest (who read this data). */
export async function findInputs(
  reader: ClickhouseReader,
  by: { runId: string } | { runIds: readonly string[] } | { digest: string },
): Promise<InputView[]> {
  const where =
    'runId' in by
      ? 'run_id = {runId:String}'
      : 'runIds' in by
        ? 'run_id IN {runIds:Array(String)}'
        : 'digest = {digest:String}';
  const found = await reader.query<RawInput>({
    name: 'findInputs',
    sql: `${INPUT_SELECT} FROM ${reader.database}.run_inputs FINAL WHERE ${where} ORDER BY run_id, name, digest
     ${'runIds' in by ? 'LIMIT 10000 BY run_id' : 'LIMIT 10000'}`,
    params: by,
  });
  return found.map(toInputView);
}

/** A dataset read in an experiment, in the context (split) it was read in: MLflow's dataset summary. */
export interface DatasetSummary {
  experimentId: string;
  name: string;
  digest: string;
  context: string;
}

/** The distinct datasets the live runs of these experiments read, in the scope; at most 1,000, by experiment. */
export async function getDatasetSummaries(
  reader: ClickhouseReader,
  experimentIds: readonly string[],
  scope: ReadScope = 'all',
): Promise<DatasetSummary[]> {
  if (experimentIds.length === 0) return [];
  const db = reader.database;
  const inScope = scopeCondition(scope);
  return reader.query<DatasetSummary>({
    name: 'getDatasetSummaries',
    sql: `SELECT DISTINCT runs.experiment_id AS experimentId, inputs.name AS name, inputs.digest AS digest,
       coalesce(inputs.split, '') AS context
     FROM ${db}.run_inputs AS inputs FINAL
     INNER JOIN (SELECT run_id, experiment_id FROM ${db}.runs FINAL
       WHERE experiment_id IN {experimentIds:Array(String)} AND deleted = 0 AND ${inScope.sql}) AS runs
     ON inputs.run_id = runs.run_id
     ORDER BY experimentId, name, digest, context LIMIT 1000`,
    params: { ...inScope.params, experimentIds },
  });
}
