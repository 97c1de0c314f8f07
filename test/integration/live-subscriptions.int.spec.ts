import { RunlogClient, type FollowEvent } from '../../libs/sdk/src/runlog';
import { GraphqlWsProbe, type ServerMessage } from '../support/graphql-ws-probe';
import type { LiveStats } from '../../services/gateway/src/live/live-stats.controller';
import { rawHttp } from '../support/process-probes';
import { createExperimentAndRun, post, waitForProjection } from '../support/runlog-client';
import { startRunlog, useRunlog } from '../support/runlog-process';

/**
 * Live subscriptions over graphql-ws against a real server (and, in the Kafka project, Kafka and ClickHouse over
 * HTTP): a dashboard follows a run as it logs, a client that stops reading is dropped without the server
 * buffering for it, and subscriptions meet the GraphQL limits before they run.
 */
const BUFFER = 16;
/** A batch that waited this long drops its subscriber (before graphql-ws's keep-alive, 12–24 s, would). */
const STALL_MS = 5_000;
/** Keys × maxPoints over the open metricPoints subscriptions: four stalled subscribers of 250,000 fit. */
const LIVE_POINTS = 1_200_000;
const STALLED = 4;

async function liveStats(base: string): Promise<LiveStats> {
  return (await fetch(`${base}/healthz/subscriptions`)).json() as Promise<LiveStats>;
}

const POINTS = `subscription ($runId: ID!, $keys: [String!]!, $maxPoints: Int) {
  metricPoints(runId: $runId, keys: $keys, maxPoints: $maxPoints, intervalMs: 100) {
    runId series { key received points { step value } } } }`;

interface PointsPayload {
  data: { metricPoints: { series: { key: string; received: number }[] } };
}

/** Collects a follow until it ends (or fails, which is rethrown). */
async function collect(events: AsyncIterable<FollowEvent>, into: FollowEvent[]): Promise<void> {
  for await (const event of events) into.push(event);
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Posts `count` points of each of `keys` from `firstStep`, retrying while the server sheds load (503). */
async function logPoints(
  base: string,
  runId: string,
  keys: string | string[],
  firstStep: number,
  count: number,
) {
  const steps = Array.from({ length: count }, (_, i) => firstStep + i);
  const values = steps.map((step) => Math.sin(step / 100));
  const metrics = (Array.isArray(keys) ? keys : [keys]).map((key) => ({ key, steps, values }));
  for (;;) {
    const answer = await post(base, `/api/v1/runs/${runId}/metrics`, { metrics });
    if (answer.status === 200) return;
    if (answer.status !== 503) throw new Error(`metrics: ${answer.status} ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function pointsOf(events: FollowEvent[], key: string) {
  return events.flatMap((event) => (event.type === 'points' && event.key === key ? event.points : []));
}

describe('live subscriptions over graphql-ws', () => {
  const runlog = useRunlog({
    RUNLOG_GRAPHQL_SUBSCRIPTION_BUFFER: String(BUFFER),
    RUNLOG_GRAPHQL_SUBSCRIPTION_STALL_MS: String(STALL_MS),
    RUNLOG_GRAPHQL_MAX_LIVE_POINTS: String(LIVE_POINTS),
    RUNLOG_GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
    // The stalled subscribers below must be dropped for their stall, not cut first for missing pings (12–24 s by
    // default), which a loaded machine reaches before the kernel's buffers fill.
    RUNLOG_GRAPHQL_SUBSCRIPTION_KEEP_ALIVE_MS: '600000',
  });

  it('the SDK follows a live run: every point, or a downsample of them, then its finish, then the end', async () => {
    const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false, flushEveryPoints: 500 });
    const run = await client.startRun({ experimentName: 'live', captureContext: false });
    await waitForProjection(runlog.base);
    const whole: FollowEvent[] = [];
    const sampled: FollowEvent[] = [];
    const following = Promise.all([
      collect(client.follow(run.runId, { keys: ['loss', 'acc'], maxPoints: 10_000, intervalMs: 100 }), whole),
      collect(client.follow(run.runId, { keys: ['loss'], maxPoints: 10, intervalMs: 100 }), sampled),
    ]);
    // The first status answers once both subscriptions of a follow are registered.
    await until(() => whole.length > 0 && sampled.length > 0, 'the initial statuses');
    const logged: { step: number; loss: number; acc: number }[] = [];
    for (let step = 0; step < 3000; step++) {
      const loss = step === 7 ? NaN : step === 8 ? Infinity : 1 / (1 + step);
      logged.push({ step, loss, acc: step % 3 });
      await run.log({ loss, acc: step % 3 }, step);
    }
    await run.finish();
    await following;
    await client.close();

    const statuses = (events: FollowEvent[]) =>
      events.flatMap((event) => (event.type === 'status' ? [[event.status, event.initial]] : []));
    expect(statuses(whole)).toEqual([
      ['running', true],
      ['finished', false],
    ]);
    expect(whole[whole.length - 1]).toMatchObject({ type: 'status', status: 'finished' });
    expect(pointsOf(whole, 'loss').map(({ step, value }) => ({ step, value }))).toEqual(
      logged.map(({ step, loss }) => ({ step, value: loss })),
    );
    expect(pointsOf(whole, 'acc').map(({ step, value }) => ({ step, value }))).toEqual(
      logged.map(({ step, acc }) => ({ step, value: acc })),
    );

    // Downsampled: each batch at most 10 real points in step order with its extremes, every point counted.
    expect(statuses(sampled)).toEqual(statuses(whole));
    const batches = sampled.filter((event) => event.type === 'points');
    expect(batches.reduce((sum, batch) => sum + batch.received, 0)).toBe(3000);
    let stepsSoFar = 0;
    for (const batch of batches) {
      expect(batch.points.length).toBeLessThanOrEqual(10);
      const steps = batch.points.map((point) => point.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      const covered = logged.slice(stepsSoFar, stepsSoFar + batch.received);
      stepsSoFar += batch.received;
      for (const point of batch.points) expect(point.value).toEqual(logged[point.step].loss);
      const finite = covered.map((entry) => entry.loss).filter(Number.isFinite);
      if (batch.downsampled && finite.length > 0) {
        expect(batch.points.map((point) => point.value)).toEqual(
          expect.arrayContaining([Math.min(...finite), Math.max(...finite)]),
        );
      }
    }
  });

  // Embedded only: what it checks is the gateway's (LiveFeed's coalescing and drop), the same on both stacks. On Kafka
  // under a full CI run the projector's 250,000-point inserts over HTTP starve the feed, which then sees new points
  // so late that a drop took over 240 s in one run of three, and its backlog failed the next test too. (Then,
  // graphql-ws's keep-alive also cut stalled sockets before their drop, which this file's server now sets long.)
  (process.env.RUNLOG_TEST_MODE === 'distributed' ? () => undefined : it)(
    'a subscriber that stops reading holds one batch and its reservoirs, not a queue of them, until dropped',
    async () => {
      const { runId } = await createExperimentAndRun(runlog.base, 'live-stall');
      // 25 keys × 10,000 points: one batch of the stalled subscriber is the most a request may log (250,000 points).
      const keys = Array.from({ length: 25 }, (_, i) => `k${i}`);
      const reserved = keys.length * 10_000;
      const stalled: GraphqlWsProbe[] = [];
      for (let i = 0; i < STALLED; i++) {
        stalled.push(await GraphqlWsProbe.open(runlog.base));
        stalled[i].subscribe('stalled', POINTS, { runId, keys, maxPoints: 10_000 });
      }
      // A failure here must not leave stalled subscribers behind for the tests after it (they count subscribers).
      try {
        const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false });
        const healthy: FollowEvent[] = [];
        const following = collect(
          client.follow(runId, { keys: ['k0'], maxPoints: 100, intervalMs: 100 }),
          healthy,
        );
        await until(
          async () => (await liveStats(runlog.base)).pointSubscribers === STALLED + 1,
          'the subscribers',
        );
        // Warm up with both reading: the baseline then holds what ingesting and tailing such batches takes anyway.
        let step = 0;
        for (let batch = 0; batch < 3; batch++, step += 10_000) {
          await logPoints(runlog.base, runId, keys, step, 10_000);
        }
        const receivedBy = (probe: GraphqlWsProbe) =>
          probe.messages
            .flatMap((m) => (m.type === 'next' ? (m.payload as PointsPayload).data.metricPoints.series : []))
            .reduce((sum, series) => sum + (series.key === 'k0' ? series.received : 0), 0);
        await until(() => stalled.every((probe) => receivedBy(probe) === step), 'the warm-up batches');
        for (const probe of stalled) probe.pause();

        let mostHeld = 0;
        let batchesStalled = 0;
        const stalledAt = Date.now();
        let stats = await liveStats(runlog.base);
        const stalledState = () => {
          const received = stalled.map((probe) => `${receivedBy(probe)} ${JSON.stringify(probe.closed)}`);
          return (
            `${batchesStalled} batches in ${Date.now() - stalledAt} ms; received ${received.join(', ')}; ` +
            JSON.stringify(stats)
          );
        };
        // Until every stalled subscriber is gone, however it went: a drop counted below, or a cut that is not one.
        while (stats.droppedSlowSubscribers < STALLED && stats.pointSubscribers > 1) {
          if (Date.now() - stalledAt > 240_000) throw new Error(`not dropped: ${stalledState()}`);
          await logPoints(runlog.base, runId, keys, step, 10_000);
          step += 10_000;
          batchesStalled += 1;
          stats = await liveStats(runlog.base);
          if (stats.maxHeldPointsReserved === reserved) mostHeld = Math.max(mostHeld, stats.maxHeldPoints);
          // A batch waiting and the reservoirs: keys × maxPoints each (the old queue held BUFFER batches of it).
          expect(stats.maxHeldPoints).toBeLessThanOrEqual(2 * reserved);
          expect(stats.maxQueuedEmissions).toBeLessThanOrEqual(2);
        }
        if (stats.droppedSlowSubscribers !== STALLED) throw new Error(`not all dropped: ${stalledState()}`);
        // They were stalled, holding points, while several times what they may hold was logged.
        expect(batchesStalled).toBeGreaterThanOrEqual(4);
        expect(mostHeld).toBeGreaterThan(reserved / 2);
        // The process's own memory is no measure here: it ingests these 250,000-point requests (and, embedded, projects
        // them into chDB) too, which moves its heap and RSS by hundreds of MiB either way. What the subscribers hold is
        // measured above: before coalescing, each held up to 3,000,000 points (and the server grew by over 1 GiB).
        // Dropped: closed with SLOW_SUBSCRIBER, or, once the server's close grace (10 s) has passed unread on a loaded
        // machine, cut (1006). Either way the socket ends; the drops themselves are counted by the server (above).
        for (const probe of stalled) {
          probe.resume();
          const closed = await probe.waitForClose();
          if (closed.code === 1006) continue;
          expect(closed).toEqual({ code: 4420, reason: 'SLOW_SUBSCRIBER' });
        }
        await until(
          async () => (await liveStats(runlog.base)).pointSubscribers === 1,
          'the drop to be unregistered',
        );

        // The other subscriber kept receiving, and still does after the drop.
        const droppedAt = step;
        await logPoints(runlog.base, runId, 'k0', droppedAt, 1000);
        await until(
          () => healthy.some((e) => e.type === 'points' && e.points.some((p) => p.step >= droppedAt)),
          'points after the drop',
        );
        await post(runlog.base, `/api/v1/runs/${runId}/finish`, {});
        await following;
        await client.close();
        const batches = healthy.filter((event) => event.type === 'points');
        expect(batches.reduce((sum, batch) => sum + batch.received, 0)).toBe(droppedAt + 1000);
        expect(healthy[healthy.length - 1]).toMatchObject({ type: 'status', status: 'finished' });
      } finally {
        for (const probe of stalled) probe.close();
        // Ends the healthy follower too, when a failure left it following (finishing twice answers 409, no harm).
        await post(runlog.base, `/api/v1/runs/${runId}/finish`, {});
      }
    },
    300_000,
  );

  // On the embedded log a second process cannot open the log file; on Kafka it reads the same topics.
  // Defined on the distributed project only (nothing is skipped on the other).
  (process.env.RUNLOG_TEST_MODE === 'distributed' ? it : () => undefined)(
    'a gateway-only process follows what another process ingests',
    async () => {
      const gateway = await startRunlog(runlog.dataDir, { RUNLOG_ROLES: 'gateway' });
      try {
        const client = new RunlogClient({
          baseUrl: runlog.base,
          readBaseUrl: gateway.base,
          flushOnExit: false,
        });
        const run = await client.startRun({ experimentName: 'live-apart', captureContext: false });
        await waitForProjection(runlog.base);
        const events: FollowEvent[] = [];
        const following = collect(client.follow(run.runId, { keys: ['loss'], maxPoints: 10_000 }), events);
        await until(() => events.length > 0, 'the initial status');
        for (let step = 0; step < 1000; step++) await run.log({ loss: step }, step);
        await run.finish();
        await following;
        await client.close();
        expect(pointsOf(events, 'loss').map((point) => point.step)).toEqual(
          Array.from({ length: 1000 }, (_, step) => step),
        );
        expect(events[events.length - 1]).toMatchObject({ type: 'status', status: 'finished' });
      } finally {
        await gateway.stop();
      }
    },
  );

  it('refuses an upgrade whose target is no URL without the process going down', async () => {
    for (const target of ['//[', '//:99999', '/graphql?\u0000', '//[::1/graphql']) {
      const answer = await rawHttp(
        runlog.base,
        `GET ${target} HTTP/1.1\r\nHost: runlog\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect([target, answer]).not.toEqual([target, expect.stringContaining('101 Switching Protocols')]);
      const health = await fetch(`${runlog.base}/healthz`);
      expect([target, health.status]).toEqual([target, 200]);
    }
    // And the socket server still upgrades what it should.
    const probe = await GraphqlWsProbe.open(runlog.base);
    probe.close();
  });

  it('caps keys × maxPoints over the open point subscriptions, refusing one past it by name', async () => {
    await until(async () => (await liveStats(runlog.base)).livePoints === 0, 'earlier subscriptions gone');
    const { runId } = await createExperimentAndRun(runlog.base, 'live-budget');
    const probe = await GraphqlWsProbe.open(runlog.base);
    const other = await GraphqlWsProbe.open(runlog.base);
    const answerOf = (id: string): Promise<ServerMessage> =>
      probe.waitFor((message) => message.id === id && (message.type === 'error' || message.type === 'next'));
    try {
      // Four of 30 keys × 10,000 points, two on each connection, take the budget.
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      probe.subscribe('a', POINTS, { runId, keys, maxPoints: 10_000 });
      probe.subscribe('b', POINTS, { runId, keys, maxPoints: 10_000 });
      other.subscribe('a', POINTS, { runId, keys, maxPoints: 10_000 });
      other.subscribe('b', POINTS, { runId, keys, maxPoints: 10_000 });
      await until(async () => (await liveStats(runlog.base)).livePoints === LIVE_POINTS, 'the subscriptions');
      probe.subscribe('c', POINTS, { runId, keys: ['x'], maxPoints: 2 });
      expect(await answerOf('c')).toMatchObject({
        type: 'next',
        payload: {
          errors: [
            {
              message: expect.stringContaining('RUNLOG_GRAPHQL_MAX_LIVE_POINTS'),
              extensions: { code: 'LIVE_POINTS_LIMIT', limit: 'livePoints', budget: LIVE_POINTS, asked: 2 },
            },
          ],
        },
      });
      expect(await liveStats(runlog.base)).toMatchObject({
        livePoints: LIVE_POINTS,
        livePointsBudget: LIVE_POINTS,
        pointSubscribers: 4,
      });
      // Completing one gives its points back.
      probe.complete('a');
      await until(
        async () => (await liveStats(runlog.base)).livePoints === LIVE_POINTS - 300_000,
        'the release',
      );
      probe.subscribe('d', POINTS, { runId, keys: ['x'], maxPoints: 2 });
      await until(
        async () => (await liveStats(runlog.base)).livePoints === LIVE_POINTS - 300_000 + 2,
        'the next subscription',
      );
      expect(probe.messages.filter((message) => message.id === 'd')).toEqual([]);
    } finally {
      probe.close();
      other.close();
    }
    await until(async () => (await liveStats(runlog.base)).livePoints === 0, 'every subscription gone');
  });

  it('checks a subscription against the GraphQL limits before it runs', async () => {
    const { runId } = await createExperimentAndRun(runlog.base, 'live-limits');
    const probe = await GraphqlWsProbe.open(runlog.base);
    const errorOf = async (id: string): Promise<ServerMessage> =>
      probe.waitFor((message) => message.id === id && (message.type === 'error' || message.type === 'next'));
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      probe.subscribe('costly', POINTS, { runId, keys, maxPoints: 10_000 });
      expect(await errorOf('costly')).toMatchObject({
        type: 'error',
        payload: [
          {
            message: expect.stringMatching(/^Query cost \d+ exceeds the limit of 400000/),
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' },
          },
        ],
      });
      probe.subscribe('keys', POINTS, { runId, keys: [...keys, 'one-more'], maxPoints: 10 });
      expect(await errorOf('keys')).toMatchObject({
        type: 'next',
        payload: { errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'keys' } }] },
      });
      probe.subscribe('query', `{ run(id: "${runId}") { id } }`);
      expect(await errorOf('query')).toMatchObject({
        type: 'error',
        payload: [{ extensions: { code: 'BAD_REQUEST' } }],
      });
      probe.subscribe('typo', 'subscription { metricPointz(runId: "r", keys: ["a"]) { runId } }');
      expect(await errorOf('typo')).toMatchObject({
        type: 'error',
        payload: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
      });
      // Three per connection on this server: the fourth is refused, naming the limit.
      for (const id of ['a', 'b', 'c', 'd'])
        probe.subscribe(id, POINTS, { runId, keys: ['x'], maxPoints: 10 });
      expect(await errorOf('d')).toMatchObject({
        type: 'error',
        payload: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'subscriptions' } }],
      });
      expect(probe.messages.filter((message) => ['a', 'b', 'c'].includes(message.id ?? ''))).toEqual([]);
    } finally {
      probe.close();
    }
  });
});

describe('graphql-ws keep-alive', () => {
  const KEEP_ALIVE_MS = 500;
  const runlog = useRunlog({ RUNLOG_GRAPHQL_SUBSCRIPTION_KEEP_ALIVE_MS: String(KEEP_ALIVE_MS) });

  it('cuts a socket that answers no ping, and keeps one that does', async () => {
    const { runId } = await createExperimentAndRun(runlog.base, 'keep-alive');
    const STATUS = 'subscription ($runId: ID!) { runStatusChanged(runId: $runId) { status } }';
    const reading = await GraphqlWsProbe.open(runlog.base);
    const silent = await GraphqlWsProbe.open(runlog.base);
    try {
      reading.subscribe('s', STATUS, { runId });
      silent.subscribe('s', STATUS, { runId });
      await until(async () => (await liveStats(runlog.base)).statusSubscribers === 2, 'the subscriptions');
      silent.pause();
      // Cut within two intervals (a ping, then no pong by the next); the reading socket outlives many of them.
      await until(
        async () => (await liveStats(runlog.base)).connections === 1,
        'the silent socket to be cut',
        20 * KEEP_ALIVE_MS,
      );
      await new Promise((resolve) => setTimeout(resolve, 6 * KEEP_ALIVE_MS));
      expect(await liveStats(runlog.base)).toMatchObject({ connections: 1, statusSubscribers: 1 });
      expect(reading.closed).toBeNull();
      await post(runlog.base, `/api/v1/runs/${runId}/finish`, {});
      await reading.waitFor(
        (message) => message.type === 'next' && JSON.stringify(message.payload).includes('finished'),
      );
    } finally {
      reading.close();
      silent.close();
    }
  });
});
