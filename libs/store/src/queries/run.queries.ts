import type { RunContext, RunInput } from '../../../events/src/run.events';
import { readTimeout, type ClickHouse } from '../clickhouse';

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
}

export interface ExperimentView {
  experimentId: string;
  name: string;
  createdAt: number;
  archived: boolean;
}

export interface SweepView {
  sweepId: string;
  experimentId: string;
  name: string;
  method: string;
  searchSpace: Record<string, unknown>;
  objective: { metric: string; goal: string } | null;
  createdAt: number;
}

export type InputView = RunInput & { runId: string; loggedAt: number };

export interface ArtifactView {
  runId: string;
  path: string;
  size: number;
  digest: string;
  contentType: string;
  loggedAt: number;
}

/** Metric values as ClickHouse writes them with output_format_json_quote_denormals: numbers or nan / inf / -inf. */
export function metricValue(raw: string | number): number {
  if (typeof raw === 'number') return raw;
  if (raw === 'nan' || raw === '-nan') return NaN;
  if (raw === 'inf' || raw === '+inf') return Infinity;
  if (raw === '-inf') return -Infinity;
  return Number(raw);
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface MetricSummaryView {
  key: string;
  /** May be NaN or infinite: the value at the highest step, as logged. */
  last: number;
  lastStep: number;
  /** Over the finite values; null when the series has none. */
  min: number | null;
  max: number | null;
  count: number;
}

async function rows<T>(ch: ClickHouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await ch.client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
    // NaN and infinities come out as "nan", "inf", "-inf" instead of null, so they survive to the reader.
    clickhouse_settings: { output_format_json_quote_denormals: 1 },
  });
  return result.json<T>();
}

type RawRun = Omit<RunView, 'startTime' | 'endTime' | 'createdAt' | 'deleted' | 'context' | 'started'> & {
  started: number | string;
  startTime: string;
  endTime: string | null;
  createdAt: string;
  deleted: number | string;
  context: string;
};

const RUN_SELECT = `SELECT run_id AS runId, experiment_id AS experimentId, name, status,
  toUnixTimestamp64Milli(start_time) AS startTime, toUnixTimestamp64Milli(end_time) AS endTime,
  failure_reason AS failureReason, toUnixTimestamp64Milli(created_at) AS createdAt, sweep_id AS sweepId,
  parent_run_id AS parentRunId, deleted, note, stack_trace AS stackTrace, context, started`;

function toRunView(raw: RawRun): RunView {
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
}

/** Runs matching every given filter, newest first; deleted runs only when asked for. */
export async function findRuns(ch: ClickHouse, filter: RunFilter, limit: number): Promise<RunView[]> {
  const where: string[] = [];
  if (filter.experimentId !== undefined) where.push('experiment_id = {experimentId:String}');
  if (filter.sweepId !== undefined) where.push('sweep_id = {sweepId:String}');
  if (filter.parentRunId !== undefined) where.push('parent_run_id = {parentRunId:String}');
  if (!filter.includeDeleted) where.push('deleted = 0');
  const found = await rows<RawRun>(
    ch,
    `${RUN_SELECT} FROM ${ch.database}.runs FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, run_id LIMIT {limit:UInt32}`,
    { ...filter, limit },
  );
  return found.map(toRunView);
}

export async function getRun(ch: ClickHouse, runId: string): Promise<RunView | null> {
  const found = await rows<RawRun>(
    ch,
    `${RUN_SELECT} FROM ${ch.database}.runs FINAL WHERE run_id = {runId:String}`,
    {
      runId,
    },
  );
  return found.length === 0 ? null : toRunView(found[0]);
}

/** The live children of each parent, newest first, in one query (at most 10,000 per parent). */
export async function childrenOf(ch: ClickHouse, parentRunIds: string[]): Promise<Map<string, RunView[]>> {
  const found = await rows<RawRun & { parentRunId: string }>(
    ch,
    `${RUN_SELECT} FROM ${ch.database}.runs FINAL
     WHERE parent_run_id IN {parents:Array(String)} AND deleted = 0
     ORDER BY created_at DESC, run_id LIMIT 10000 BY parent_run_id`,
    { parents: parentRunIds },
  );
  const children = new Map<string, RunView[]>();
  for (const raw of found) {
    const siblings = children.get(raw.parentRunId) ?? [];
    siblings.push(toRunView(raw));
    children.set(raw.parentRunId, siblings);
  }
  return children;
}

export async function listRuns(ch: ClickHouse, experimentId: string, limit: number): Promise<RunView[]> {
  return findRuns(ch, { experimentId, includeDeleted: false }, limit);
}

const EXPERIMENT_SELECT = `SELECT experiment_id AS experimentId, name, toUnixTimestamp64Milli(created_at) AS createdAt,
  archived`;
type RawExperiment = { experimentId: string; name: string; createdAt: string; archived: number | string };
const toExperimentView = (raw: RawExperiment): ExperimentView => ({
  ...raw,
  createdAt: Number(raw.createdAt),
  archived: Number(raw.archived) === 1,
});

export async function getExperiment(ch: ClickHouse, experimentId: string): Promise<ExperimentView | null> {
  const found = await rows<RawExperiment>(
    ch,
    `${EXPERIMENT_SELECT} FROM ${ch.database}.experiments FINAL WHERE experiment_id = {experimentId:String}`,
    { experimentId },
  );
  return found.length === 0 ? null : toExperimentView(found[0]);
}

/** Experiments by name, archived ones only when asked for. */
export async function listExperiments(
  ch: ClickHouse,
  includeArchived: boolean,
  limit: number,
): Promise<ExperimentView[]> {
  const found = await rows<RawExperiment>(
    ch,
    `${EXPERIMENT_SELECT} FROM ${ch.database}.experiments FINAL ${includeArchived ? '' : 'WHERE archived = 0'}
     ORDER BY name, experiment_id LIMIT {limit:UInt32}`,
    { limit },
  );
  return found.map(toExperimentView);
}

/** Sweeps by id, in one query. */
export async function getSweeps(ch: ClickHouse, sweepIds: string[]): Promise<Map<string, SweepView>> {
  const found = await rows<Record<string, string | null>>(
    ch,
    `SELECT sweep_id AS sweepId, experiment_id AS experimentId, name, method, search_space AS searchSpace,
       objective_metric AS metric, objective_goal AS goal, toUnixTimestamp64Milli(created_at) AS createdAt
     FROM ${ch.database}.sweeps FINAL WHERE sweep_id IN {sweepIds:Array(String)}`,
    { sweepIds },
  );
  return new Map(
    found.map((raw) => [
      String(raw.sweepId),
      {
        sweepId: String(raw.sweepId),
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

const INPUT_SELECT = `SELECT run_id AS runId, name, digest, source, split, rows, schema_digest AS schemaDigest,
  toUnixTimestamp64Milli(logged_at) AS loggedAt`;
type RawInput = Omit<InputView, 'rows' | 'loggedAt'> & { rows: string | number | null; loggedAt: string };
const toInputView = (raw: RawInput): InputView => ({
  ...raw,
  rows: raw.rows === null ? null : Number(raw.rows),
  loggedAt: Number(raw.loggedAt),
});

/** `by`: a run's inputs (what it read), or every run's input with one digest (who read this data). */
export async function findInputs(
  ch: ClickHouse,
  by: { runId: string } | { digest: string },
): Promise<InputView[]> {
  const where = 'runId' in by ? 'run_id = {runId:String}' : 'digest = {digest:String}';
  const found = await rows<RawInput>(
    ch,
    `${INPUT_SELECT} FROM ${ch.database}.run_inputs FINAL WHERE ${where} ORDER BY run_id, name, digest LIMIT 10000`,
    by,
  );
  return found.map(toInputView);
}

/** `by`: a run's artifacts (latest per path), or every artifact with one digest (where these bytes came from). */
export async function findArtifacts(
  ch: ClickHouse,
  by: { runId: string; prefix?: string } | { digest: string },
): Promise<ArtifactView[]> {
  const where =
    'runId' in by
      ? 'run_id = {runId:String} AND startsWith(path, {prefix:String})'
      : 'digest = {digest:String}';
  const found = await rows<Record<keyof ArtifactView, string | number>>(
    ch,
    `SELECT run_id AS runId, path, size, digest, content_type AS contentType,
       toUnixTimestamp64Milli(logged_at) AS loggedAt
     FROM ${ch.database}.artifacts FINAL WHERE ${where} ORDER BY run_id, path LIMIT 100000`,
    'runId' in by ? { runId: by.runId, prefix: by.prefix ?? '' } : by,
  );
  return found.map((raw) => ({
    runId: String(raw.runId),
    path: String(raw.path),
    size: Number(raw.size),
    digest: String(raw.digest),
    contentType: String(raw.contentType),
    loggedAt: Number(raw.loggedAt),
  }));
}

export async function getRunParams(ch: ClickHouse, runId: string): Promise<KeyValue[]> {
  return rows<KeyValue>(
    ch,
    `SELECT key, value FROM ${ch.database}.params FINAL WHERE run_id = {runId:String} ORDER BY key`,
    { runId },
  );
}

export async function getRunTags(ch: ClickHouse, runId: string): Promise<KeyValue[]> {
  return rows<KeyValue>(
    ch,
    `SELECT key, value FROM ${ch.database}.tags FINAL WHERE run_id = {runId:String} ORDER BY key`,
    { runId },
  );
}

export async function getMetricSummaries(ch: ClickHouse, runId: string): Promise<MetricSummaryView[]> {
  const found = await rows<Record<keyof MetricSummaryView, string | number>>(
    ch,
    `SELECT key, argMaxMerge(last) AS last, max(last_step) AS lastStep, min(min) AS min, max(max) AS max,
       sum(count) AS count
     FROM ${ch.database}.metric_summary WHERE run_id = {runId:String} GROUP BY key ORDER BY key`,
    { runId },
  );
  return found.map((row) => {
    const min = metricValue(row.min);
    const max = metricValue(row.max);
    return {
      key: String(row.key),
      last: metricValue(row.last),
      lastStep: Number(row.lastStep),
      min: Number.isFinite(min) ? min : null,
      max: Number.isFinite(max) ? max : null,
      count: Number(row.count),
    };
  });
}

export interface EventView {
  id: string;
  type: string;
  actor: string;
  workspace: string;
  occurredAt: number;
  recordedAt: number;
  prevHash: string | null;
  hash: string;
  offset: number;
}

/** A stream's events as projected, in log order: the audit trail of one run. */
export async function getStreamEvents(ch: ClickHouse, stream: string, limit: number): Promise<EventView[]> {
  const found = await rows<Record<keyof EventView, string | number | null>>(
    ch,
    `SELECT toString(id) AS id, type, actor, workspace, toUnixTimestamp64Milli(occurred_at) AS occurredAt,
       toUnixTimestamp64Milli(recorded_at) AS recordedAt, prev_hash AS prevHash, hash, _log_offset AS offset
     FROM ${ch.database}.events WHERE stream = {stream:String}
     ORDER BY _log_topic, _log_partition, _log_offset LIMIT 1 BY id LIMIT {limit:UInt32}`,
    { stream, limit },
  );
  return found.map((row) => ({
    id: String(row.id),
    type: String(row.type),
    actor: String(row.actor),
    workspace: String(row.workspace),
    occurredAt: Number(row.occurredAt),
    recordedAt: Number(row.recordedAt),
    prevHash: row.prevHash === null ? null : String(row.prevHash),
    hash: String(row.hash),
    offset: Number(row.offset),
  }));
}
