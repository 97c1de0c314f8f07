import { randomUUID } from 'node:crypto';
import { TOPICS } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';
import { createExperimentAndRun, logEnd, post, send } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';
import { openServerLog } from '../support/server-log';

const batch = (eventId: string, first = 0) => ({
  eventId,
  metrics: [{ key: 'loss', steps: [first, first + 1], values: [1, 0.5] }],
});

/** An eventId is an idempotency key: the same request again is a retry; anything else reusing it is refused. */
describe('event ids compare the request', () => {
  const runlog = useRunlog();
  let runId: string;

  beforeAll(async () => {
    ({ runId } = await createExperimentAndRun(runlog.base, 'idempotency'));
  });

  async function refusedWithoutAppending(path: string, body: unknown, method: 'POST' | 'DELETE' = 'POST') {
    const before = await logEnd(runlog.base);
    const answer = await send(method, runlog.base, path, body);
    expect(answer).toMatchObject({ status: 409, body: { error: 'idempotency_conflict', field: 'eventId' } });
    expect(await logEnd(runlog.base)).toBe(before);
  }

  it('acknowledges the same lifecycle request again without appending, and refuses another body', async () => {
    const eventId = randomUUID();
    const tags = { eventId, tags: { team: 'vision' } };
    expect(await post(runlog.base, `/api/v1/runs/${runId}/tags`, tags)).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    const before = await logEnd(runlog.base);
    expect(await post(runlog.base, `/api/v1/runs/${runId}/tags`, tags)).toMatchObject({
      status: 200,
      body: { eventIds: [eventId], appended: false },
    });
    expect(await logEnd(runlog.base)).toBe(before);
    await refusedWithoutAppending(`/api/v1/runs/${runId}/tags`, { eventId, tags: { team: 'audio' } });
    // A finish carrying the tags request's id is not a retry of it: the run must not stay running silently.
    await refusedWithoutAppending(`/api/v1/runs/${runId}/finish`, { eventId });
  });

  it('refuses an id used by another run, and a metric batch reusing an id with other points', async () => {
    const { runId: otherRun } = await createExperimentAndRun(runlog.base, 'idempotency-other');
    const eventId = randomUUID();
    expect(await post(runlog.base, `/api/v1/runs/${runId}/metrics`, batch(eventId))).toMatchObject({
      status: 200,
      body: { appended: true, points: 2 },
    });
    expect(await post(runlog.base, `/api/v1/runs/${runId}/metrics`, batch(eventId))).toMatchObject({
      status: 200,
      body: { appended: false },
    });
    await refusedWithoutAppending(`/api/v1/runs/${runId}/metrics`, batch(eventId, 100));
    await refusedWithoutAppending(`/api/v1/runs/${otherRun}/metrics`, batch(eventId));
    await refusedWithoutAppending(`/api/v1/runs/${otherRun}/tags`, { eventId, tags: { a: 'b' } });
  });

  it('acknowledges a metric batch retried after its run ended (its first attempt landed)', async () => {
    const { runId: ended } = await createExperimentAndRun(runlog.base, 'idempotency-ended');
    const eventId = randomUUID();
    expect(await post(runlog.base, `/api/v1/runs/${ended}/metrics`, batch(eventId))).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    expect(await post(runlog.base, `/api/v1/runs/${ended}/finish`, {})).toMatchObject({ status: 200 });
    const before = await logEnd(runlog.base);
    expect(await post(runlog.base, `/api/v1/runs/${ended}/metrics`, batch(eventId))).toMatchObject({
      status: 200,
      body: { eventIds: [eventId], appended: false, points: 2 },
    });
    expect(await logEnd(runlog.base)).toBe(before);
    // A new batch to the ended run is refused as before.
    expect(await post(runlog.base, `/api/v1/runs/${ended}/metrics`, batch(randomUUID()))).toMatchObject({
      status: 409,
    });
  });

  it('takes an upper-case or urn spelling of a used id as that id', async () => {
    const eventId = randomUUID();
    const note = { eventId, note: 'first' };
    expect(await post(runlog.base, `/api/v1/runs/${runId}/note`, note)).toMatchObject({ status: 200 });
    const before = await logEnd(runlog.base);
    for (const spelling of [eventId.toUpperCase(), `urn:uuid:${eventId}`]) {
      const retry = await post(runlog.base, `/api/v1/runs/${runId}/note`, { ...note, eventId: spelling });
      expect(retry).toMatchObject({ status: 200, body: { eventIds: [eventId], appended: false } });
    }
    expect(await logEnd(runlog.base)).toBe(before);
  });
});

/**
 * A run's points and its ending live in two streams (and on Kafka two topics). However a batch and a finish race,
 * the batch is appended before the finish or refused: nothing of the run comes after its ending.
 */
describe('a metric batch racing the end of its run', () => {
  // Every batch must reach the race: none shed because the projection is behind the trials (its own spec covers it).
  const runlog = useRunlog({ RUNLOG_INGEST_MAX_PROJECTION_LAG: '0' });
  let log: EventLog;

  beforeAll(async () => {
    log = await openServerLog(runlog.dataDir);
  });
  afterAll(async () => {
    await log?.close();
  });

  interface Position {
    offset: number;
    recordedAt: string;
    stream: string;
  }

  /** Where each record lies in the log: one offset sequence on the embedded log, so compare offsets there. */
  async function positions(topic: string): Promise<Map<string, Position>> {
    const found = new Map<string, Position>();
    for (const [partition, end] of await log.endOffsets(topic)) {
      for (let from = 0; from < end;) {
        const records = await log.read(topic, partition, from, 5000);
        if (records.length === 0) break;
        for (const { offset, event } of records) {
          found.set(event.id, { offset, recordedAt: event.recordedAt, stream: event.stream });
        }
        from = records[records.length - 1].offset + 1;
      }
    }
    return found;
  }

  it('never appends a point after the run ended, over 50 trials', async () => {
    const trials = 50;
    const outcomes: { runId: string; accepted: string[]; refused: number; finishId: string }[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const { runId } = await createExperimentAndRun(runlog.base, `race-${trial}`);
      const finishId = randomUUID();
      // Batches a millisecond apart, the finish somewhere among them: before, between or after.
      const batchIds = Array.from({ length: 6 }, () => randomUUID());
      const later = <T>(ms: number, request: () => Promise<T>) =>
        new Promise((resolve) => setTimeout(resolve, ms)).then(request);
      const [finish, ...batches] = await Promise.all([
        later(trial % 7, () => post(runlog.base, `/api/v1/runs/${runId}/finish`, { eventId: finishId })),
        ...batchIds.map((id, i) =>
          later(i, () => post(runlog.base, `/api/v1/runs/${runId}/metrics`, batch(id, i * 2))),
        ),
      ]);
      expect(finish.status).toBe(200);
      for (const answer of batches) expect([200, 409]).toContain(answer.status);
      outcomes.push({
        runId,
        finishId,
        accepted: batchIds.filter((_, i) => batches[i].status === 200),
        refused: batches.filter((answer) => answer.status === 409).length,
      });
    }

    const lifecycle = await positions(TOPICS.lifecycle);
    const metrics = await positions(TOPICS.metrics);
    const embedded = process.env.RUNLOG_TEST_MODE !== 'distributed';
    for (const { runId, finishId, accepted } of outcomes) {
      const finish = lifecycle.get(finishId)!;
      // Exactly the acknowledged batches are in the log (read from the topic, not an index), each before the finish.
      const inLog = [...metrics].filter(([, at]) => at.stream === `metrics:${runId}`).map(([id]) => id);
      expect(inLog.sort()).toEqual([...accepted].sort());
      for (const id of accepted) {
        const point = metrics.get(id)!;
        if (embedded) expect(point.offset).toBeLessThan(finish.offset);
        expect(Date.parse(point.recordedAt)).toBeLessThanOrEqual(Date.parse(finish.recordedAt));
      }
    }
    // Both outcomes happened, so the trials did race.
    expect(outcomes.some((o) => o.refused > 0)).toBe(true);
    expect(outcomes.some((o) => o.accepted.length > 0)).toBe(true);
  });
});
