import type { RunContext } from '../../../events/src/run.events';
import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { scopeCondition, type ReadScope } from './read-scope';
import { tsvMillis, tsvNullableMillis, tsvNullableString, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `runs`: one row per run, its latest snapshot (ReplacingMergeTree on `_version`, the log offset). */
export interface RunRow extends Omit<RunView, 'context'> {
  /** JSON, or '' when no context was captured. */
  contextJson: string;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (001, 003, 004, 011). */
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
  'workspace',
] as const;

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
    tsvString(row.workspace),
  ].join('\t');

export function insertRuns(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertRuns',
    table: 'runs',
    columns: RUN_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface RunView {
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
  context: RunContext | null;
  /** False when the run never started (queued, or ended while queued); startTime then holds its creation. */
  started: boolean;
  /** The workspace its events were written in: reads of other workspaces leave it out. */
  workspace: string;
}

export type RawRun = Omit<
  RunView,
  'startTime' | 'endTime' | 'createdAt' | 'deleted' | 'context' | 'started'
> & {
  started: number | string;
  startTime: string;
  endTime: string | null;
  createdAt: string;
  deleted: number | string;
  context: string;
};

export const RUN_SELECT = `SELECT run_id AS runId, experiment_id AS experimentId, name, status,
  toUnixTimestamp64Milli(start_time) AS startTime, toUnixTimestamp64Milli(end_time) AS endTime,
  failure_reason AS failureReason, toUnixTimestamp64Milli(created_at) AS createdAt, sweep_id AS sweepId,
  parent_run_id AS parentRunId, deleted, note, stack_trace AS stackTrace, context, started,
  workspace`;

export function toRunView(raw: RawRun): RunView {
  return {
    ...raw,
    startTime: Number(raw.startTime),
    endTime: raw.endTime === null ? null : Number(raw.endTime),
    createdAt: Number(raw.createdAt),
    deleted: Number(raw.deleted) === 1,
    started: Number(raw.started) === 1,
    context: raw.context ? (JSON.parse(raw.context) as RunContext) : null,
  };
}

export interface RunFilter {
  experimentId?: string;
  sweepId?: string;
  parentRunId?: string;
  includeDeleted: boolean;
  /** Only runs of these workspaces; every workspace when absent. */
  scope?: ReadScope;
}

/** Runs matching every given filter, newest first; deleted runs only when asked for. */
export async function findRuns(
  reader: ClickhouseReader,
  filter: RunFilter,
  limit: number,
): Promise<RunView[]> {
  const where: string[] = [];
  if (filter.experimentId !== undefined) where.push('experiment_id = {experimentId:String}');
  if (filter.sweepId !== undefined) where.push('sweep_id = {sweepId:String}');
  if (filter.parentRunId !== undefined) where.push('parent_run_id = {parentRunId:String}');
  if (!filter.includeDeleted) where.push('deleted = 0');
  const { scope: readScope, ...named } = filter;
  const scope = scopeCondition(readScope ?? 'all');
  where.push(scope.sql);
  const found = await reader.query<RawRun>({
    name: 'findRuns',
    sql: `${RUN_SELECT} FROM ${reader.database}.runs FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, run_id LIMIT {limit:UInt32}`,
    params: { ...named, ...scope.params, limit },
  });
  return found.map(toRunView);
}

export async function getRun(reader: ClickhouseReader, runId: string): Promise<RunView | null> {
  const found = await reader.query<RawRun>({
    name: 'getRun',
    sql: `${RUN_SELECT} FROM ${reader.database}.runs FINAL WHERE run_id = {runId:String}`,
    params: { runId },
  });
  return found.length === 0 ? null : toRunView(found[0]);
}

/** The runs with these ids (deleted ones too), in no particular order; ids not found are left out. */
export async function getRuns(reader: ClickhouseReader, runIds: readonly string[]): Promise<RunView[]> {
  const found = await reader.query<RawRun>({
    name: 'getRuns',
    sql: `${RUN_SELECT} FROM ${reader.database}.runs FINAL WHERE run_id IN {runIds:Array(String)}`,
    params: { runIds },
  });
  return found.map(toRunView);
}

/** The live children of each parent, newest first, in one query (at most 10,000 per parent). */
export async function childrenOf(
  reader: ClickhouseReader,
  parentRunIds: string[],
): Promise<Map<string, RunView[]>> {
  const found = await reader.query<RawRun & { parentRunId: string }>({
    name: 'childrenOf',
    sql: `${RUN_SELECT} FROM ${reader.database}.runs FINAL
     WHERE parent_run_id IN {parents:Array(String)} AND deleted = 0
     ORDER BY created_at DESC, run_id LIMIT 10000 BY parent_run_id`,
    params: { parents: parentRunIds },
  });
  const children = new Map<string, RunView[]>();
  for (const raw of found) {
    const siblings = children.get(raw.parentRunId) ?? [];
    siblings.push(toRunView(raw));
    children.set(raw.parentRunId, siblings);
  }
  return children;
}

export async function listRuns(
  reader: ClickhouseReader,
  experimentId: string,
  limit: number,
): Promise<RunView[]> {
  return findRuns(reader, { experimentId, includeDeleted: false }, limit);
}
