/**
 * `npm run bench:projector -- [points] [pointsPerBatch] [rounds]`: how fast the projector moves metric points from
 * the embedded log (node:sqlite) into chDB, against the engine's own ceiling, in one run with interleaved rounds
 * (each round runs every variant, in a rotated order) so the machine's noise hits them alike.
 *
 * - ceiling: the same metric_points rows as the projector's columns (MetricPointColumns), built before the clock
 *   starts, inserted straight into chDB in inserts of maxInsertRows rows through the arrow path the projector uses;
 *   and, for comparison, the same rows as TabSeparated text (chDB's raw passthrough, and @clickhouse/client);
 * - projector: a pre-filled log of metric batches drained by ProjectorService into a fresh database, timed from
 *   subscribe to lag 0 (the group's committed position at the log's end); the count is checked afterwards.
 *
 * RUNLOG_BENCH_BASELINE=<dist dir of another checkout> adds that checkout's projector as a variant ("before"):
 *   git archive <commit> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npx tsc)
 * RUNLOG_PROJECTOR_BATCH_RECORDS / RUNLOG_PROJECTOR_MAX_INSERT_ROWS set the current projector's batch bounds;
 * RUNLOG_BENCH_VARIANTS=<text> runs only the variants whose name contains it (to profile one).
 */
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newEventId, TOPICS } from '../libs/events/src/envelope';
import { SqliteEventLog } from '../libs/log/src/sqlite-event-log';
import {
  findMigrationsDir,
  insertMetricPoints,
  METRIC_POINT_COLUMNS,
  MetricPointColumns,
  writerFor,
  type ClickHouse,
  type ClickhouseWriter,
} from '../libs/store/src';
import type { ProjectorConfig, ProjectorService } from '../services/projector/src/projector.service';
import { writeResult } from './support';

type ProjectorModule = typeof import('../services/projector/src/projector.service');
type ClickHouseModule = typeof import('../libs/store/src/clickhouse');
type MigrationsModule = typeof import('../libs/store/src/migrations');

/** A checkout's projector, engine factory and migrations, loaded from its dist/ (this one's or a baseline's). */
interface Build {
  name: string;
  Projector: ProjectorModule['ProjectorService'];
  createClickHouse: ClickHouseModule['createClickHouse'];
  applyMigrations: MigrationsModule['applyMigrations'];
  batchRecords: number;
  maxInsertRows: number;
}

/** The format the projector uses: the ratio that matters is the projector's against this one. */
const CEILING = 'ceiling: chDB arrow columns';
const RUNS = 16;
const KEYS = 5;
const DEFAULT_BATCH_RECORDS = 200;
const DEFAULT_MAX_INSERT_ROWS = 500_000;

function envInteger(name: string, fallback: number): number {
  const value = process.env[name];
  return value ? Number.parseInt(value, 10) : fallback;
}

function loadBuild(name: string, dist: string, batchRecords: number, maxInsertRows: number): Build {
  /* eslint-disable @typescript-eslint/no-require-imports -- a checkout chosen at run time */
  const projector = require(join(dist, 'services/projector/src/projector.service.js')) as ProjectorModule;
  const clickhouse = require(join(dist, 'libs/store/src/clickhouse.js')) as ClickHouseModule;
  const migrations = require(join(dist, 'libs/store/src/migrations.js')) as MigrationsModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return {
    name,
    Projector: projector.ProjectorService,
    createClickHouse: clickhouse.createClickHouse,
    applyMigrations: migrations.applyMigrations,
    batchRecords,
    maxInsertRows,
  };
}

/** `points` points in batches of `pointsPerBatch` over RUNS runs × KEYS keys, each point with its own timestamp. */
async function fillLog(log: SqliteEventLog, points: number, pointsPerBatch: number): Promise<void> {
  const perKey = Math.floor(pointsPerBatch / KEYS);
  const batches = Math.ceil(points / (perKey * KEYS));
  const nextStep = new Array<number>(RUNS).fill(0);
  const started = Date.UTC(2025, 0, 1);
  const appends: Promise<unknown>[] = [];
  for (let b = 0; b < batches; b++) {
    const run = b % RUNS;
    const first = nextStep[run];
    nextStep[run] += perKey;
    const steps = Array.from({ length: perKey }, (_, i) => first + i);
    const series = Array.from({ length: KEYS }, (_, k) => ({
      key: `train/metric_${k}`,
      steps,
      values: steps.map(() => Math.random()),
      timestamps: steps.map((step) => started + step * 7),
    }));
    const runId = `bench-run-${String(run).padStart(2, '0')}`;
    appends.push(
      log.appendToStream(TOPICS.metrics, `metrics:${runId}`, [
        {
          id: newEventId(),
          type: 'metrics.logged',
          v: 1,
          workspace: 'default',
          actor: 'bench',
          occurredAt: new Date(started).toISOString(),
          payload: { runId, series },
        },
      ]),
    );
    if (appends.length >= 32) await Promise.all(appends.splice(0));
  }
  await Promise.all(appends);
}

/** The rows the projector writes for the log's metric records, as columns of about `rowsPerInsert` rows each. */
async function ceilingColumns(log: SqliteEventLog, rowsPerInsert: number): Promise<MetricPointColumns[]> {
  const inserts: MetricPointColumns[] = [new MetricPointColumns()];
  for (let offset = 0; ;) {
    const records = await log.read(TOPICS.metrics, 0, offset, 100);
    if (records.length === 0) break;
    for (const record of records) {
      const payload = record.event.payload as {
        runId: string;
        series: { key: string; steps: number[]; values: number[]; timestamps: number[] }[];
      };
      if (inserts[inserts.length - 1].length >= rowsPerInsert) inserts.push(new MetricPointColumns());
      const columns = inserts[inserts.length - 1];
      for (const s of payload.series) {
        columns.append(payload.runId, s.key, s.steps, s.values, s.timestamps, 0, record);
      }
    }
    offset = records[records.length - 1].offset + 1;
  }
  return inserts;
}

async function countPoints(ch: ClickHouse): Promise<number> {
  const result = await ch.client.query({
    query: `SELECT count() AS n FROM ${ch.database}.metric_points`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row.n);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function waitForLagZero(log: SqliteEventLog, groupId: string): Promise<void> {
  const end = (await log.endOffsets(TOPICS.metrics)).get(0) ?? 0;
  for (;;) {
    const committed = (await log.committedOffsets(groupId, TOPICS.metrics)).get(0) ?? 0;
    if (committed >= end) return;
    await new Promise((done) => setTimeout(done, 5));
  }
}

async function main() {
  const [points = 2_000_000, pointsPerBatch = 10_000, rounds = 3] = process.argv.slice(2).map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'runlog-bench-projector-'));
  const chdbPath = join(dir, 'chdb');
  const here = resolve(__dirname, '..');
  const current = loadBuild(
    'current',
    here,
    envInteger('RUNLOG_PROJECTOR_BATCH_RECORDS', DEFAULT_BATCH_RECORDS),
    envInteger('RUNLOG_PROJECTOR_MAX_INSERT_ROWS', DEFAULT_MAX_INSERT_ROWS),
  );
  const builds = [current];
  const baselineDist = process.env.RUNLOG_BENCH_BASELINE;
  if (baselineDist) {
    builds.unshift(
      loadBuild('baseline', resolve(baselineDist), DEFAULT_BATCH_RECORDS, DEFAULT_MAX_INSERT_ROWS),
    );
  }
  const log = SqliteEventLog.open({ path: join(dir, 'log.sqlite') });
  try {
    console.log(`filling the log: ${points.toLocaleString('en')} points, ${pointsPerBatch} per batch…`);
    await fillLog(log, points, pointsPerBatch);
    const columns = await ceilingColumns(log, current.maxInsertRows);
    const bodies = columns.map((points) => points.tsvLines().join('\n') + '\n');
    const total = columns.reduce((sum, points) => sum + points.length, 0);
    const insertBody = (writer: ClickhouseWriter) => (body: string) =>
      writer.insert({ name: 'ceiling', table: 'metric_points', columns: METRIC_POINT_COLUMNS, body });
    const rates = new Map<string, number[]>();
    const record = (name: string, seconds: number) => {
      rates.set(name, [...(rates.get(name) ?? []), total / seconds]);
      console.log(
        `  ${name}: ${Math.round(total / seconds).toLocaleString('en')} points/s (${seconds.toFixed(2)} s)`,
      );
    };
    let database = 0;
    const fresh = async (build: Build): Promise<ClickHouse> => {
      const ch = build.createClickHouse({ chdbPath, database: `bench_${(database += 1)}` });
      // Every variant gets this checkout's schema (its materialized views cost every insert alike), applied by this
      // checkout's runner: an older one may not know the placeholders of newer migrations.
      await current.applyMigrations(ch, findMigrationsDir(here));
      return ch;
    };
    const variants: { name: string; run: () => Promise<void> }[] = [
      {
        name: CEILING,
        run: async () => {
          const ch = await fresh(current);
          if (!ch.arrowInsert) throw new Error('this build has no arrow insert path');
          const writer = writerFor(ch);
          record(
            CEILING,
            await timed(async () => {
              for (const points of columns) await insertMetricPoints(writer, points);
            }),
          );
          await check(ch, total);
        },
      },
      {
        name: 'ceiling: chDB rawInsert (TSV)',
        run: async () => {
          const ch = await fresh(current);
          if (!ch.rawInsert) throw new Error('this build has no raw insert path');
          const raw = insertBody(writerFor({ ...ch, arrowInsert: undefined }));
          record('ceiling: chDB rawInsert (TSV)', await timed(() => insertBodies(bodies, raw)));
          await check(ch, total);
        },
      },
      {
        name: 'ceiling: @clickhouse/client insert (TSV)',
        run: async () => {
          const ch = await fresh(current);
          const client = insertBody(writerFor({ ...ch, rawInsert: undefined, arrowInsert: undefined }));
          record('ceiling: @clickhouse/client insert (TSV)', await timed(() => insertBodies(bodies, client)));
          await check(ch, total);
        },
      },
      ...builds.map((build) => ({
        name: `projector: ${build.name}`,
        run: async () => {
          const ch = await fresh(build);
          const groupId = `bench-${build.name}-${database}`;
          const config: ProjectorConfig = {
            groupId,
            maxBatchRecords: build.batchRecords,
            runCacheSize: 1000,
            maxInsertRows: build.maxInsertRows,
          };
          const projector: ProjectorService = new build.Projector(log, ch, config);
          const seconds = await timed(async () => {
            projector.onApplicationBootstrap();
            await waitForLagZero(log, groupId);
          });
          await projector.onApplicationShutdown();
          record(`projector: ${build.name}`, seconds);
          await check(ch, total);
        },
      })),
    ];
    // RUNLOG_BENCH_VARIANTS=projector runs only the variants whose name contains it (profiling one of them).
    const only = process.env.RUNLOG_BENCH_VARIANTS;
    if (only)
      variants.splice(0, variants.length, ...variants.filter((variant) => variant.name.includes(only)));
    for (let round = 0; round < rounds; round++) {
      console.log(`round ${round + 1}/${rounds}`);
      for (let i = 0; i < variants.length; i++) await variants[(i + round) % variants.length].run();
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const ceiling = median(rates.get(CEILING) ?? [NaN]);
    const table = Object.fromEntries(
      [...rates].map(([name, values]) => [
        name,
        {
          'median points/s': Math.round(median(values)).toLocaleString('en'),
          'range points/s': `${Math.round(Math.min(...values)).toLocaleString('en')}–${Math.round(Math.max(...values)).toLocaleString('en')}`,
          '/ ceiling': (median(values) / ceiling).toFixed(2),
        },
      ]),
    );
    console.log(
      `\n${total.toLocaleString('en')} points, ${rounds} interleaved rounds (batch records ${current.batchRecords}, max insert rows ${current.maxInsertRows})`,
    );
    console.table(table);
    const out = resolve(here, '../bench/results');
    mkdirSync(out, { recursive: true });
    writeResult(join(out, 'projector.json'), {
      points: total,
      pointsPerBatch,
      rounds,
      batchRecords: current.batchRecords,
      maxInsertRows: current.maxInsertRows,
      rates: Object.fromEntries(rates),
    });
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function insertBodies(bodies: string[], insert: (body: string) => Promise<void>): Promise<void> {
  for (const body of bodies) await insert(body);
}

async function check(ch: ClickHouse, expected: number): Promise<void> {
  const landed = await countPoints(ch);
  if (landed !== expected)
    throw new Error(`${ch.database}.metric_points holds ${landed} rows, expected ${expected}`);
  await ch.client.command({ query: `DROP DATABASE ${ch.database} SYNC` });
  // A baseline build from before ClickHouse.close() existed has only its client to close.
  await ('close' in ch ? ch.close() : (ch as Pick<ClickHouse, 'client'>).client.close());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
