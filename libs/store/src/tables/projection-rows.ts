import type { MetricValue, RunInput } from '../../../events/src/run.events';
import type { ClickHouse } from '../clickhouse';
import {
  tsvBody,
  tsvFloat,
  tsvMillis,
  tsvNullableFloat,
  tsvNullableMillis,
  tsvNullableString,
  tsvString,
} from '../tsv';
import { LOG_POSITION_COLUMNS, type LogPosition, type ProjectedTable, tsvPosition } from './log-position';

/** Column lists, in DDL order (deploy/clickhouse/migrations/001_init.sql): they must match the tables. */
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
] as const;
export const EXPERIMENT_COLUMNS = [
  'experiment_id',
  'name',
  'created_at',
  'archived',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;
export const RUN_COLUMNS = [
  'run_id',
  'experiment_id',
  'name',
  'status',
  'start_time',
  'end_time',
  'failure_reason',
  'created_at',
  'sweep_id',
  'parent_run_id',
  'deleted',
  'note',
  'stack_trace',
  'context',
  'started',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;
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
] as const;
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
] as const;
export const ARTIFACT_COLUMNS = [
  'run_id',
  'path',
  'size',
  'digest',
  'content_type',
  'logged_at',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;
export const PARAM_COLUMNS = [
  'run_id',
  'key',
  'value',
  'value_num',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;
export const TAG_COLUMNS = [
  'run_id',
  'key',
  'value',
  '_version',
  '_is_deleted',
  ...LOG_POSITION_COLUMNS,
] as const;
export const METRIC_POINT_COLUMNS = [
  'run_id',
  'key',
  'step',
  'value',
  'timestamp',
  ...LOG_POSITION_COLUMNS,
] as const;

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
}

export interface ExperimentRow {
  experimentId: string;
  name: string;
  createdAt: number;
  archived: boolean;
  position: LogPosition;
}

export interface RunRow {
  runId: string;
  experimentId: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  failureReason: string | null;
  createdAt: number;
  sweepId: string | null;
  parentRunId: string | null;
  deleted: boolean;
  note: string;
  stackTrace: string | null;
  /** JSON, or '' when no context was captured. */
  contextJson: string;
  /** False for a queued run, and for one that ended before it started: startTime is then its creation. */
  started: boolean;
  position: LogPosition;
}

export interface SweepRow {
  sweepId: string;
  experimentId: string;
  name: string;
  method: string;
  searchSpaceJson: string;
  objective: { metric: string; goal: string } | null;
  createdAt: number;
  position: LogPosition;
}

export interface RunInputRow {
  runId: string;
  input: RunInput;
  loggedAt: number;
  position: LogPosition;
}

export interface ArtifactRow {
  runId: string;
  path: string;
  size: number;
  digest: string;
  contentType: string;
  loggedAt: number;
  position: LogPosition;
}

export interface ParamRow {
  runId: string;
  key: string;
  value: string;
  position: LogPosition;
}

export interface TagRow {
  runId: string;
  key: string;
  value: string;
  deleted: boolean;
  position: LogPosition;
}

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
  ].join('\t');

export const formatExperimentRow = (row: ExperimentRow): string =>
  [
    tsvString(row.experimentId),
    tsvString(row.name),
    tsvMillis(row.createdAt),
    row.archived ? 1 : 0,
    row.position.offset,
    tsvPosition(row.position),
  ].join('\t');

export const formatRunRow = (row: RunRow): string =>
  [
    tsvString(row.runId),
    tsvString(row.experimentId),
    tsvString(row.name),
    tsvString(row.status),
    tsvMillis(row.startTime),
    tsvNullableMillis(row.endTime),
    tsvNullableString(row.failureReason),
    tsvMillis(row.createdAt),
    tsvNullableString(row.sweepId),
    tsvNullableString(row.parentRunId),
    row.deleted ? 1 : 0,
    tsvString(row.note),
    tsvNullableString(row.stackTrace),
    tsvString(row.contextJson),
    row.started ? 1 : 0,
    row.position.offset,
    tsvPosition(row.position),
  ].join('\t');

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
  ].join('\t');

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
  ].join('\t');

export const formatArtifactRow = (row: ArtifactRow): string =>
  [
    tsvString(row.runId),
    tsvString(row.path),
    row.size,
    row.digest,
    tsvString(row.contentType),
    tsvMillis(row.loggedAt),
    row.position.offset,
    tsvPosition(row.position),
  ].join('\t');

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

export const formatTagRow = (row: TagRow): string =>
  [
    tsvString(row.runId),
    tsvString(row.key),
    tsvString(row.value),
    row.position.offset,
    row.deleted ? 1 : 0,
    tsvPosition(row.position),
  ].join('\t');

/** Appends one series' points as TSV lines; the projector's hot path, so no intermediate row objects. */
export function appendMetricPointLines(
  lines: string[],
  runId: string,
  key: string,
  steps: readonly number[],
  values: readonly MetricValue[],
  timestamps: readonly number[] | undefined,
  defaultTimestamp: number,
  position: LogPosition,
): void {
  const prefix = `${tsvString(runId)}\t${tsvString(key)}\t`;
  const suffix = `\t${tsvPosition(position)}`;
  const fallback = tsvMillis(defaultTimestamp);
  for (let i = 0; i < steps.length; i++) {
    const ts = timestamps ? tsvMillis(timestamps[i]) : fallback;
    lines.push(`${prefix}${steps[i]}\t${tsvFloat(values[i])}\t${ts}${suffix}`);
  }
}

export const TABLE_COLUMNS: Record<ProjectedTable, readonly string[]> = {
  events: EVENT_COLUMNS,
  experiments: EXPERIMENT_COLUMNS,
  sweeps: SWEEP_COLUMNS,
  runs: RUN_COLUMNS,
  run_inputs: RUN_INPUT_COLUMNS,
  artifacts: ARTIFACT_COLUMNS,
  params: PARAM_COLUMNS,
  tags: TAG_COLUMNS,
  metric_points: METRIC_POINT_COLUMNS,
};

const SINGLE_PART_ROWS = '100000000';
const SINGLE_PART_BYTES = '4294967296';

/** Squash the whole body into one block, hence one part: an insert lands entirely or not at all. */
const SINGLE_PART_SETTINGS = {
  max_insert_block_size: SINGLE_PART_ROWS,
  min_insert_block_size_rows: SINGLE_PART_ROWS,
  min_insert_block_size_bytes: SINGLE_PART_BYTES,
};

/** One INSERT per table per batch; awaited, never fire-and-forget. */
export async function insertTsvLines(
  ch: ClickHouse,
  table: ProjectedTable,
  lines: readonly string[],
): Promise<void> {
  if (lines.length === 0) return;
  await insertTsvBody(ch, table, lines.join('\n') + '\n');
}

/** `body`: whole TabSeparated lines, each ending in a newline. chDB gets the bytes directly, a server over HTTP. */
export async function insertTsvBody(ch: ClickHouse, table: ProjectedTable, body: string): Promise<void> {
  if (body.length === 0) return;
  const columns = TABLE_COLUMNS[table];
  if (ch.rawInsert) {
    await ch.rawInsert({
      table: `${ch.database}.${table}`,
      columns,
      format: 'TabSeparated',
      body,
      settings: SINGLE_PART_SETTINGS,
    });
    return;
  }
  await ch.client.insert({
    table: `${ch.database}.${table}`,
    values: tsvBody(body),
    format: 'TabSeparated',
    columns: [...columns] as [string, ...string[]],
    clickhouse_settings: SINGLE_PART_SETTINGS,
  });
}
