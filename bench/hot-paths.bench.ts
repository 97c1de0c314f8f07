/**
 * The ingest and projector hot paths, each timed against a yardstick measured in the same run (JSON.parse of the
 * same body, JSONEachRow for the same rows), so the ratios hold on a noisy shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newEventId, sealEvent } from '../libs/events/src/envelope';
import type { StoredEvent } from '../libs/events/src/run.events';
import { applyMigrations, createClickHouse, insertMetricPoints, writerFor } from '../libs/store/src';
import { RequestValidator } from '../services/ingest/src/request-validator';
import { addEventRows, BatchRows } from '../services/projector/src/rows/event-rows';

function timeIt(fn: () => void, minMs = 400): number {
  let runs = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs || runs < 3) {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return elapsed / runs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export interface HotPathResult {
  pointsPerBody: number;
  jsonParseMs: number;
  validateMs: number;
  sealMs: number;
  toRowsMs: number;
  insertRows: number;
  insertColumnsMs: number;
  insertJsonEachRowMs: number;
}

export async function benchHotPaths(pointsPerBody = 10_000, insertRows = 500_000): Promise<HotPathResult> {
  const steps = Array.from({ length: pointsPerBody }, (_, i) => i);
  const metrics = [{ key: 'train/loss', steps, values: steps.map((s) => 1 / (1 + s) + Math.sin(s) * 1e-3) }];
  const text = JSON.stringify({ metrics });
  const validator = new RequestValidator();
  const jsonParseMs = timeIt(() => JSON.parse(text));
  const parsed: unknown = JSON.parse(text);
  const validateMs = timeIt(() => validator.validate('LogMetrics', parsed));
  const event = {
    id: newEventId(),
    type: 'metrics.logged',
    v: 1,
    workspace: 'default',
    actor: 'bench',
    occurredAt: new Date().toISOString(),
    payload: { runId: 'r', series: metrics },
  };
  const sealMs = timeIt(() => sealEvent(event, 'metrics:r', null, new Date().toISOString()));
  const sealed = sealEvent(event, 'metrics:r', null, new Date().toISOString()) as StoredEvent;
  const position = { topic: 'runlog.metrics', partition: 0, offset: 1 };
  const toRowsMs = timeIt(() => addEventRows(new BatchRows(), sealed, position, () => true, {}));

  const dir = mkdtempSync(join(tmpdir(), 'runlog-bench-ch-'));
  const ch = createClickHouse({ chdbPath: dir, database: 'bench' });
  try {
    await applyMigrations(ch);
    const rows = new BatchRows();
    const perEvent = 10_000;
    const bigSteps = Array.from({ length: perEvent }, (_, i) => i);
    for (let e = 0; e < insertRows / perEvent; e++) {
      const series = [
        {
          key: 'train/loss',
          steps: bigSteps.map((s) => s + e * perEvent),
          values: bigSteps.map((s) => s * 0.5),
        },
      ];
      addEventRows(
        rows,
        { ...sealed, payload: { runId: `run-${e % 16}`, series } } as StoredEvent,
        { ...position, offset: e + 1 },
        () => true,
        {},
      );
    }
    const objects = rows.lines.metric_points.tsvLines().map((line) => {
      const [run_id, key, step, value, timestamp, _log_topic, _log_partition, _log_offset] = line.split('\t');
      return {
        run_id,
        key,
        step: Number(step),
        value: Number(value),
        timestamp,
        _log_topic,
        _log_partition: Number(_log_partition),
        _log_offset: Number(_log_offset),
      };
    });
    // Alternate the two formats and keep each one's median: one run on a shared machine is not a measurement.
    const columnTimes: number[] = [];
    const jsonTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      columnTimes.push(await timeAsync(() => insertMetricPoints(writerFor(ch), rows.lines.metric_points)));
      jsonTimes.push(
        await timeAsync(async () => {
          await ch.client.insert({
            table: `${ch.database}.metric_points`,
            values: Readable.from(objects),
            format: 'JSONEachRow',
          });
        }),
      );
    }
    const insertColumnsMs = median(columnTimes);
    const insertJsonEachRowMs = median(jsonTimes);
    return {
      pointsPerBody,
      jsonParseMs,
      validateMs,
      sealMs,
      toRowsMs,
      insertRows,
      insertColumnsMs,
      insertJsonEachRowMs,
    };
  } finally {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
