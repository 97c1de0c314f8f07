import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { TOPICS, type EventEnvelope, type NewEvent } from '../../libs/events/src/envelope';
import { openServerLog } from '../support/server-log';
import { upcast } from '../../libs/events/src/upcasters';
import type { EventLog } from '../../libs/log/src/event-log';
import { SqliteEventLog } from '../../libs/log/src/sqlite-event-log';
import {
  applyMigrations,
  createClickHouse,
  getExperiment,
  listDeadLetters,
  readerFor,
  tableHoldsPosition,
  type ClickHouse,
  type ClickhouseReader,
} from '../../libs/store/src';
import {
  ReprojectionService,
  type ReprojectionResult,
} from '../../services/projector/src/dead-letters/reprojection.service';
import { ProjectorService } from '../../services/projector/src/projector.service';
import { countingBatch } from '../support/counting-batches';
import { createExperimentAndRun, gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const raw = (type: string, payload: unknown, id: string = uuidv7()): NewEvent => ({
  id,
  type,
  v: 1,
  workspace: 'default',
  actor: 'older-build',
  occurredAt: new Date().toISOString(),
  payload,
});

interface Letter {
  topic: string;
  offset: number;
  status: string;
  reason: string;
  step: string;
  tables: string[];
  error: string;
  eventId: string | null;
  eventType: string | null;
  stream: string | null;
  deadLetteredAt: number;
  resolvedAt: number | null;
}

const LETTERS = `query ($status: DeadLetterStatus) { deadLetters(status: $status, limit: 100) {
  topic partition offset status reason step tables error eventId eventType stream deadLetteredAt resolvedAt } }`;
const letters = async (base: string, status = 'OPEN') =>
  (await gql<{ deadLetters: Letter[] }>(base, LETTERS, { status })).deadLetters;
const health = async (base: string) =>
  (await fetch(`${base}/healthz`)).json() as Promise<{
    status: string;
    projection: { deadLetters: Record<string, number>; lag: { topic: string; lag: number }[] };
  }>;

describe('poison records written straight into the log', () => {
  const server = useRunlog({ RUNLOG_PROJECTOR_BATCH_RECORDS: '50' });

  it('are dead-lettered, every record after them is projected, and they are reported until resolved', async () => {
    const { runId: goodRun } = await createExperimentAndRun(server.base, 'good');
    const { runId: poisonRun } = await createExperimentAndRun(server.base, 'poison');
    const ghost = `ghost-${Date.now()}`;
    const unknownTypeId = uuidv7();
    const log = await openServerLog(server.dataDir);
    try {
      await log.appendToStream(TOPICS.lifecycle, `run:${ghost}`, [
        raw('run.tagz_set', { tags: { a: 'b' } }, unknownTypeId),
      ]);
      await log.appendToStream(TOPICS.lifecycle, `experiment:${ghost}`, [
        raw('experiment.created', { experimentId: ghost, name: 42 }),
      ]);
      // The newest instant a JS Date holds, far past DateTime64(3)'s last day.
      await log.appendToStream(TOPICS.metrics, `metrics:${poisonRun}`, [
        raw('metrics.logged', {
          runId: poisonRun,
          series: [{ key: 'loss', steps: [0, 1], values: [1, 2], timestamps: [8.64e15, 8.64e15] }],
        }),
      ]);
    } finally {
      await log.close();
    }
    // Records after the poison, through the API: they must not wait behind it.
    for (let b = 0; b < 3; b++) {
      expect((await post(server.base, `/api/v1/runs/${goodRun}/metrics`, countingBatch(b, 100))).status).toBe(
        200,
      );
    }
    await post(server.base, `/api/v1/runs/${goodRun}/finish`, {});
    await waitForProjection(server.base);
    const series = await gql<{ metricSeries: { totalPoints: number } }>(
      server.base,
      'query ($id: ID!) { metricSeries: runMetricSeries(runId: $id, key: "loss", maxPoints: 10) { totalPoints } }',
      { id: goodRun },
    );
    expect(series.metricSeries.totalPoints).toBe(300);
    const run = await gql<{ run: { status: string } }>(
      server.base,
      'query ($id: ID!) { run(id: $id) { status } }',
      {
        id: goodRun,
      },
    );
    expect(run.run.status).toBe('finished');

    const open = await eventually(
      () => letters(server.base),
      (found) => found.length === 3,
    );
    const byStream = Object.fromEntries(open.map((letter) => [letter.stream, letter]));
    expect(byStream[`run:${ghost}`]).toMatchObject({
      topic: TOPICS.lifecycle,
      status: 'OPEN',
      reason: 'unknown_event_type',
      step: 'parseRecordStep',
      eventId: unknownTypeId,
      eventType: 'run.tagz_set',
      resolvedAt: null,
    });
    expect(byStream[`experiment:${ghost}`]).toMatchObject({
      reason: 'invalid_payload',
      eventType: 'experiment.created',
    });
    const metric = byStream[`metrics:${poisonRun}`];
    // Refused by the request schema's ranges, the row builders or ClickHouse, depending on which guard is deployed.
    expect(['invalid_payload', 'row_build_failed', 'insert_failed']).toContain(metric.reason);
    expect(metric.topic).toBe(TOPICS.metrics);
    expect(metric.error).not.toBe('');
    expect(metric.deadLetteredAt).toBeGreaterThan(Date.now() - 120_000);

    const report = await health(server.base);
    expect(report.status).toBe('degraded');
    expect(report.projection.deadLetters).toEqual({ [TOPICS.lifecycle]: 2, [TOPICS.metrics]: 1 });
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toContain(`runlog_projector_dead_letters{topic="${TOPICS.lifecycle}",state="open"} 2`);
    expect(metrics).toContain(`runlog_projector_dead_letters{topic="${TOPICS.metrics}",state="open"} 1`);

    // An admin route like any other: no web page can trigger it cross-site with a simple POST.
    const reprojectUrl = `${server.base}/admin/dead-letters/reproject`;
    expect((await fetch(reprojectUrl, { method: 'POST', body: '{}' })).status).toBe(415);

    // Without a fix a re-projection changes nothing but the error: each letter stays open.
    const reproject = async () => {
      const answer = await fetch(reprojectUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      return (await answer.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    const deadLetterTopicEnd = async () => {
      const reader = await openServerLog(server.dataDir);
      try {
        return [...(await reader.endOffsets(TOPICS.deadletter)).values()].reduce((sum, end) => sum + end, 0);
      } finally {
        await reader.close();
      }
    };
    const endBefore = await deadLetterTopicEnd();
    expect((await reproject()).at(-1)).toEqual({ done: true, resolved: 0, stillFailing: 3 });
    const endAfterFirst = await deadLetterTopicEnd();
    expect(endAfterFirst).toBeGreaterThan(endBefore);
    // Asking again while nothing changed records nothing new: a repeated request cannot flood the log.
    expect((await reproject()).at(-1)).toEqual({ done: true, resolved: 0, stillFailing: 3 });
    expect(await deadLetterTopicEnd()).toBe(endAfterFirst);

    // The state is the log's: a restart finds the same open letters.
    await server.restart();
    await waitForProjection(server.base);
    expect((await letters(server.base)).map((letter) => letter.offset).sort()).toEqual(
      open.map((l) => l.offset).sort(),
    );
    expect((await health(server.base)).status).toBe('degraded');
  });
});

/**
 * "After a fix": a spawned server cannot be given new code, so this tier builds the projector in the test's process
 * (the real node:sqlite log and chDB in a temporary folder) once without and once with the fix, an upcaster.
 */
describe('re-projection after an upcaster is deployed', () => {
  let dir: string;
  let log: EventLog;
  let ch: ClickHouse;
  let reader: ClickhouseReader;
  const config = { groupId: 'dlq-medium', maxBatchRecords: 50, runCacheSize: 100, maxInsertRows: 10_000 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runlog-dead-letters-'));
    log = SqliteEventLog.open({ path: join(dir, 'events.sqlite'), pollIntervalMs: 50 });
    ch = createClickHouse({ chdbPath: join(dir, 'chdb'), database: 'dead_letters_medium' });
    await applyMigrations(ch);
    reader = readerFor(ch);
  });

  afterAll(async () => {
    await log.close();
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An older build wrote `experiment.title_changed`; this build calls it experiment.renamed {name}. */
  const withFix = (envelope: EventEnvelope) =>
    upcast(
      envelope.type === 'experiment.title_changed'
        ? {
            ...envelope,
            type: 'experiment.renamed',
            payload: { name: (envelope.payload as { title: string }).title },
          }
        : envelope,
    );

  it('resolves what the fix reads, folds the snapshot again, and leaves the rest open', async () => {
    await log.appendToStream(TOPICS.lifecycle, 'experiment:exp-a', [
      raw('experiment.created', { experimentId: 'exp-a', name: 'before' }),
      raw('experiment.title_changed', { title: 'after' }),
    ]);
    await log.appendToStream(TOPICS.lifecycle, 'run:never', [raw('run.tagz_set', { tags: {} })]);
    await log.appendToStream(TOPICS.lifecycle, 'experiment:exp-b', [
      raw('experiment.created', { experimentId: 'exp-b', name: 'later' }),
    ]);

    const unfixed = new ProjectorService(log, ch, config);
    unfixed.onApplicationBootstrap();
    const open = await eventually(
      () => listDeadLetters(reader, 'open', 10),
      (found) => found.length === 2,
    );
    expect(
      await eventually(
        () => getExperiment(reader, 'exp-b'),
        (found) => found !== null,
      ),
    ).toMatchObject({ name: 'later' });
    expect((await getExperiment(reader, 'exp-a'))?.name).toBe('before');
    await unfixed.onApplicationShutdown();

    const fixed = new ProjectorService(log, ch, config, { upcast: withFix });
    fixed.onApplicationBootstrap();
    const results: ReprojectionResult[] = [];
    const summary = await new ReprojectionService(log, ch, fixed).reprojectOpen((result) =>
      results.push(result),
    );
    expect(summary).toEqual({ resolved: 1, stillFailing: 1 });
    const renamed = open.find((letter) => letter.stream === 'experiment:exp-a')!;
    expect(results.find((result) => result.offset === renamed.offset)).toMatchObject({ outcome: 'resolved' });
    expect((await getExperiment(reader, 'exp-a'))?.name).toBe('after');
    expect(await tableHoldsPosition(reader, 'events', renamed)).toBe(true);

    const resolved = await eventually(
      () => listDeadLetters(reader, 'resolved', 10),
      (found) => found.length === 1,
    );
    expect(resolved[0]).toMatchObject({
      offset: renamed.offset,
      status: 'resolved',
      tables: expect.arrayContaining(['events', 'experiments']),
    });
    const stillOpen = await listDeadLetters(reader, 'open', 10);
    expect(stillOpen.map((letter) => [letter.stream, letter.reason])).toEqual([
      ['run:never', 'unknown_event_type'],
    ]);
    // A second run resolves nothing twice and re-inserts nothing.
    expect(await new ReprojectionService(log, ch, fixed).reprojectOpen(() => undefined)).toEqual({
      resolved: 0,
      stillFailing: 1,
    });
    await fixed.onApplicationShutdown();
  });
});
