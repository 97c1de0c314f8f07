/**
 * Series reads against rollups (migration 007), and what the rollups cost the insert path, in one run on chDB:
 *
 * - read: p50/p99 of a 1,000-point metricSeries over a run holding 10,000,000 raw points (answered from the
 *   rollups), against the same series computed from the raw points (the read before issue 11), with rows read;
 * - insert: a 1,000,000-row insert into metric_points of a store with the rollup views and of one without them
 *   (migrations up to 006), interleaved, in the projector's format (TabSeparated, chDB's raw insert when there)
 *   and as an INSERT … SELECT made by the engine alone (the views' own cost, without parsing).
 *
 * npm run bench:series [-- --points 10000000 --reads 200]
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  applyMigrations,
  createClickHouse,
  findMigrationsDir,
  getMetricSeries,
  readerFor,
  UNLABELLED_METRIC_POINT_COLUMNS,
  type ClickHouse,
} from '../libs/store/src';
import { writeResult } from './support';

/** metric_points' columns in DDL order, as the projector inserts them, but `worker` (the default worker's points). */
const POINT_COLUMNS: [string, ...string[]] = [...UNLABELLED_METRIC_POINT_COLUMNS];

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const median = (values: number[]) => percentile(values, 50);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The read before issue 11: bounds and min/max per bucket computed over every raw point of the series. */
async function rawSeries(ch: ClickHouse, runId: string, maxPoints: number): Promise<number> {
  const where = `WHERE run_id = {runId:String} AND key = 'loss'`;
  const bounds = await readerFor(ch).queryMeasured<{ lo: string; hi: string }>({
    name: 'rawBounds',
    sql: `SELECT min(step) AS lo, max(step) AS hi, count() AS n FROM ${ch.database}.metric_points ${where}`,
    params: { runId },
  });
  const width = Math.ceil((Number(bounds.rows[0].hi) - Number(bounds.rows[0].lo) + 1) / (maxPoints / 2));
  const buckets = await readerFor(ch).queryMeasured({
    name: 'rawBuckets',
    sql: `SELECT intDiv(step - {lo:Int64}, {width:Int64}) AS bucket, countIf(isFinite(value)) AS finite,
       argMinIf(step, value, isFinite(value)), minIf(value, isFinite(value)),
       argMinIf(toUnixTimestamp64Milli(timestamp), value, isFinite(value)),
       argMaxIf(step, value, isFinite(value)), maxIf(value, isFinite(value)),
       argMaxIf(toUnixTimestamp64Milli(timestamp), value, isFinite(value)),
       min(step), argMin(value, step), argMin(toUnixTimestamp64Milli(timestamp), step)
     FROM ${ch.database}.metric_points ${where} GROUP BY bucket ORDER BY bucket`,
    params: { runId, lo: Number(bounds.rows[0].lo), width },
  });
  return bounds.rowsRead + buckets.rowsRead;
}

/** 1M rows as a projector batch holds them: 20 runs × 5 keys, each with contiguous steps. */
function tsvBatch(rows: number, round: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const run = i % 20;
    const key = Math.floor(i / 20) % 5;
    const step = Math.floor(i / 100);
    lines.push(
      `bench-${round}-${run}\tkey-${key}\t${step}\t${Math.sin(i)}\t2026-01-01 00:00:00.000\tmetrics\t0\t${i}`,
    );
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function insertTsv(ch: ClickHouse, body: Buffer): Promise<void> {
  const table = `${ch.database}.metric_points`;
  if (ch.rawInsert) {
    await ch.rawInsert({ table, columns: POINT_COLUMNS, format: 'TabSeparated', body, settings: {} });
    return;
  }
  await ch.client.insert({
    table,
    values: Readable.from([body], { objectMode: false }),
    format: 'TabSeparated',
    columns: POINT_COLUMNS,
  });
}

async function insertGenerated(ch: ClickHouse, runId: string, count: number): Promise<void> {
  await ch.client.command({
    query: `INSERT INTO ${ch.database}.metric_points (${POINT_COLUMNS.join(', ')})
      SELECT {runId:String}, 'loss', number, 1 / (1 + number / 1000) + sin(number) / 100,
        toDateTime64(1700000000 + intDiv(number, 100), 3, 'UTC'), 'metrics', 0, number
      FROM numbers({count:UInt64})`,
    query_params: { runId, count },
  });
}

async function main() {
  const points = option('points', 10_000_000);
  const reads = option('reads', 200);
  const insertRows = option('insert-rows', 1_000_000);
  const rounds = option('rounds', 3);
  const dir = mkdtempSync(join(tmpdir(), 'runlog-series-bench-'));
  try {
    const engine = createClickHouse({ chdbPath: join(dir, 'chdb'), database: 'with_rollups' });
    const withRollups = engine;
    const withoutRollups: ClickHouse = { ...engine, database: 'without_rollups' };
    const before007 = join(dir, 'migrations-before-007');
    cpSync(findMigrationsDir(), before007, {
      recursive: true,
      filter: (path) => !/\/0(0[7-9]|[1-9]\d)_/.test(path),
    });
    await applyMigrations(withRollups);
    await applyMigrations(withoutRollups, before007);

    // Insert cost, interleaved so the machine's noise falls on both sides.
    const insert = {
      tsvWith: [] as number[],
      tsvWithout: [] as number[],
      selectWith: [] as number[],
      selectWithout: [] as number[],
    };
    for (let round = 0; round < rounds; round++) {
      const body = tsvBatch(insertRows, round);
      insert.tsvWithout.push(await timed(() => insertTsv(withoutRollups, body)));
      insert.tsvWith.push(await timed(() => insertTsv(withRollups, body)));
      insert.selectWithout.push(
        await timed(() => insertGenerated(withoutRollups, `gen-${round}`, insertRows)),
      );
      insert.selectWith.push(await timed(() => insertGenerated(withRollups, `gen-${round}`, insertRows)));
      console.log(`insert round ${round + 1}/${rounds} done`);
    }

    const started = Date.now();
    await insertGenerated(withRollups, 'big-run', points);
    console.log(`${points.toLocaleString('en')} points generated in ${Date.now() - started} ms`);

    const seriesMs: number[] = [];
    let seriesRowsRead = 0;
    let resolution = 0;
    for (let i = 0; i < reads + 5; i++) {
      let rowsRead = 0;
      const ms = await timed(async () => {
        const series = await getMetricSeries(readerFor(withRollups), {
          runId: 'big-run',
          key: 'loss',
          maxPoints: 1000,
        });
        rowsRead = series.rowsRead;
        resolution = series.resolution;
      });
      if (i >= 5) seriesMs.push(ms);
      seriesRowsRead = rowsRead;
    }
    const rawMs: number[] = [];
    let rawRowsRead = 0;
    for (let i = 0; i < Math.max(5, Math.floor(reads / 10)) + 1; i++) {
      const ms = await timed(async () => {
        rawRowsRead = await rawSeries(withRollups, 'big-run', 1000);
      });
      if (i >= 1) rawMs.push(ms);
    }

    const result = {
      rawPoints: points,
      maxPoints: 1000,
      rollupSeries: {
        resolution,
        rowsRead: seriesRowsRead,
        p50Ms: percentile(seriesMs, 50),
        p99Ms: percentile(seriesMs, 99),
        reads: seriesMs.length,
      },
      rawSeries: {
        rowsRead: rawRowsRead,
        p50Ms: percentile(rawMs, 50),
        p99Ms: percentile(rawMs, 99),
        reads: rawMs.length,
      },
      insert: {
        rows: insertRows,
        rounds,
        tsvPath: withRollups.rawInsert ? 'chdb rawInsert (TabSeparated)' : 'client insert (TabSeparated)',
        tsvWithoutRollupsMs: median(insert.tsvWithout),
        tsvWithRollupsMs: median(insert.tsvWith),
        tsvRatio: median(insert.tsvWith) / median(insert.tsvWithout),
        selectWithoutRollupsMs: median(insert.selectWithout),
        selectWithRollupsMs: median(insert.selectWith),
        selectRatio: median(insert.selectWith) / median(insert.selectWithout),
        samples: insert,
      },
    };
    console.log(JSON.stringify(result, null, 2));
    writeResult(join(__dirname, '..', '..', 'bench', 'results', 'series.json'), result);
    await engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
