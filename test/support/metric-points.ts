import { Readable } from 'node:stream';
import { UNLABELLED_METRIC_POINT_COLUMNS, type ClickHouse, type MetricPoint } from '../../libs/store/src';

/*
 * Points written straight into metric_points, as the projector would: the materialized views (rollups, summaries)
 * do the rest. For store-level suites that check reads against the raw points they wrote.
 */

/** metric_points' columns in DDL order, as the projector inserts them, but `worker`: these points are the default worker's. */
export const POINT_COLUMNS: [string, ...string[]] = [...UNLABELLED_METRIC_POINT_COLUMNS];

/** Seeded, so a failure replays: mulberry32. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tsvValue(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

export async function insertPoints(
  ch: ClickHouse,
  runId: string,
  key: string,
  points: MetricPoint[],
): Promise<void> {
  const lines = points.map(
    (point, i) =>
      `${runId}\t${key}\t${point.step}\t${tsvValue(point.value)}\t${new Date(point.timestamp)
        .toISOString()
        .replace('T', ' ')
        .replace('Z', '')}\tmetrics\t0\t${i}`,
  );
  await ch.client.insert({
    table: `${ch.database}.metric_points`,
    values: Readable.from([Buffer.from(lines.join('\n') + '\n')], { objectMode: false }),
    format: 'TabSeparated',
    columns: POINT_COLUMNS,
  });
}

/** `count` points at steps 0…count-1 made by ClickHouse itself, with a high and a low spike at known steps. */
export async function insertGeneratedRun(
  ch: ClickHouse,
  runId: string,
  count: number,
  spikes: [number, number],
) {
  // In inserts of 1M rows: each stays well inside the client's request timeout on a loaded machine.
  const chunk = 1_000_000;
  for (let start = 0; start < count; start += chunk) {
    await ch.client.command({
      query: `INSERT INTO ${ch.database}.metric_points (${POINT_COLUMNS.join(', ')})
        SELECT {runId:String}, 'loss', number,
          multiIf(number = {high:UInt64}, 1e9, number = {low:UInt64}, -1e9, 1 / (1 + number / 1000) + sin(number) / 100),
          toDateTime64(1700000000 + intDiv(number, 100), 3, 'UTC'), 'metrics', 0, number
        FROM numbers({start:UInt64}, {count:UInt64})`,
      query_params: { runId, start, count: Math.min(chunk, count - start), high: spikes[0], low: spikes[1] },
    });
  }
}
