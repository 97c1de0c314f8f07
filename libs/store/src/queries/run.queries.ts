import { readTimeout, type ClickHouse } from '../clickhouse';

export interface RunView {
  runId: string;
  experimentId: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  failureReason: string | null;
}

export interface ExperimentView {
  experimentId: string;
  name: string;
  createdAt: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface MetricSummaryView {
  key: string;
  last: number;
  lastStep: number;
  min: number;
  max: number;
  count: number;
}

async function rows<T>(ch: ClickHouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await ch.client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  return result.json<T>();
}

type RawRun = Omit<RunView, 'startTime' | 'endTime'> & { startTime: string; endTime: string | null };

const RUN_SELECT = `SELECT run_id AS runId, experiment_id AS experimentId, name, status,
  toUnixTimestamp64Milli(start_time) AS startTime, toUnixTimestamp64Milli(end_time) AS endTime,
  failure_reason AS failureReason`;

function toRunView(raw: RawRun): RunView {
  return {
    ...raw,
    startTime: Number(raw.startTime),
    endTime: raw.endTime === null ? null : Number(raw.endTime),
  };
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

export async function listRuns(ch: ClickHouse, experimentId: string, limit: number): Promise<RunView[]> {
  const found = await rows<RawRun>(
    ch,
    `${RUN_SELECT} FROM ${ch.database}.runs FINAL WHERE experiment_id = {experimentId:String}
     ORDER BY start_time DESC, run_id LIMIT {limit:UInt32}`,
    { experimentId, limit },
  );
  return found.map(toRunView);
}

export async function getExperiment(ch: ClickHouse, experimentId: string): Promise<ExperimentView | null> {
  const found = await rows<{ experimentId: string; name: string; createdAt: string }>(
    ch,
    `SELECT experiment_id AS experimentId, name, toUnixTimestamp64Milli(created_at) AS createdAt
     FROM ${ch.database}.experiments FINAL WHERE experiment_id = {experimentId:String}`,
    { experimentId },
  );
  return found.length === 0 ? null : { ...found[0], createdAt: Number(found[0].createdAt) };
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
  return found.map((row) => ({
    key: String(row.key),
    last: Number(row.last),
    lastStep: Number(row.lastStep),
    min: Number(row.min),
    max: Number(row.max),
    count: Number(row.count),
  }));
}

export interface MetricPoint {
  step: number;
  value: number;
  timestamp: number;
}

export interface MetricSeries {
  points: MetricPoint[];
  totalPoints: number;
  downsampled: boolean;
}

/**
 * At most `maxPoints` points of one series. Past that, steps are cut into maxPoints/2 equal buckets and each
 * bucket gives its minimum and its maximum point, so a spike is never averaged away on a chart.
 */
export async function getMetricSeries(
  ch: ClickHouse,
  runId: string,
  key: string,
  maxPoints: number,
): Promise<MetricSeries> {
  const where = `WHERE run_id = {runId:String} AND key = {key:String}`;
  const [bounds] = await rows<{ lo: string; hi: string; n: string }>(
    ch,
    `SELECT min(step) AS lo, max(step) AS hi, count() AS n FROM ${ch.database}.metric_points ${where}`,
    { runId, key },
  );
  const totalPoints = Number(bounds.n);
  if (totalPoints <= maxPoints) {
    const raw = await rows<Record<keyof MetricPoint, string | number>>(
      ch,
      `SELECT step, value, toUnixTimestamp64Milli(timestamp) AS timestamp FROM ${ch.database}.metric_points ${where}
       ORDER BY step, timestamp`,
      { runId, key },
    );
    return { points: raw.map(toPoint), totalPoints, downsampled: false };
  }
  const lo = Number(bounds.lo);
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const width = Math.max(1, Math.ceil((Number(bounds.hi) - lo + 1) / buckets));
  const bucketRows = await rows<Record<string, string | number>>(
    ch,
    `SELECT intDiv(step - {lo:Int64}, {width:Int64}) AS bucket,
       argMin(step, value) AS minStep, min(value) AS minValue, argMin(toUnixTimestamp64Milli(timestamp), value) AS minTs,
       argMax(step, value) AS maxStep, max(value) AS maxValue, argMax(toUnixTimestamp64Milli(timestamp), value) AS maxTs
     FROM ${ch.database}.metric_points ${where} GROUP BY bucket ORDER BY bucket`,
    { runId, key, lo, width },
  );
  const points: MetricPoint[] = [];
  for (const row of bucketRows) {
    const low = { step: Number(row.minStep), value: Number(row.minValue), timestamp: Number(row.minTs) };
    const high = { step: Number(row.maxStep), value: Number(row.maxValue), timestamp: Number(row.maxTs) };
    if (low.step === high.step && low.value === high.value) points.push(low);
    else if (low.step <= high.step) points.push(low, high);
    else points.push(high, low);
  }
  return { points, totalPoints, downsampled: true };
}

function toPoint(row: Record<keyof MetricPoint, string | number>): MetricPoint {
  return { step: Number(row.step), value: Number(row.value), timestamp: Number(row.timestamp) };
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
