import { SLOW_SUBSCRIBER } from './bounded-queue';
import type { PointsLogged } from './live-events';
import { MetricPointsSubscriber } from './live-subscribers';

/** `count` points of `key` from `first`, as one record of the log. */
function logged(key: string, first: number, count: number): PointsLogged {
  const steps = Array.from({ length: count }, (_, i) => first + i);
  return {
    kind: 'points',
    runId: 'r1',
    workspace: 'w',
    series: [{ key, steps, values: steps }],
    defaultTimestamp: 5,
  };
}

describe('MetricPointsSubscriber', () => {
  let now = 0;
  const hooks = { onOverflow: jest.fn(), onClose: jest.fn() };
  const subscriber = (stallMs = 10_000, capacity = 16) =>
    // An interval that never fires in a test: flushes are called by hand.
    new MetricPointsSubscriber(
      { runId: 'r1', keys: ['x', 'y'], maxPoints: 10, intervalMs: 60_000 },
      { capacity, stallMs, now: () => now },
      hooks,
    );

  beforeEach(() => {
    now = 0;
    jest.clearAllMocks();
  });

  it('coalesces: while a batch waits, points gather in the reservoirs, within keys × maxPoints × 2', async () => {
    const live = subscriber();
    let step = 0;
    for (let flush = 0; flush < 40; flush++) {
      live.accept(logged('x', step, 1000));
      live.accept(logged('y', step, 1000));
      step += 1000;
      live.flush(false);
      now += 100;
      expect(live.queue.size).toBe(1);
      // One batch waiting (2 keys × 10) and the reservoirs (2 keys × 10).
      expect(live.heldPoints).toBeLessThanOrEqual(2 * 10 * 2);
    }
    expect(hooks.onOverflow).not.toHaveBeenCalled();
    // Read again: the first batch, then one batch with everything since, each key counted in full.
    const first = await live.queue.next();
    live.flush(false);
    const second = await live.queue.next();
    const received = [first, second].flatMap((result) => result.value?.series ?? []);
    expect(received.map((series) => [series.key, series.received])).toEqual([
      ['x', 1000],
      ['y', 1000],
      ['x', 39_000],
      ['y', 39_000],
    ]);
    expect(received.every((series) => series.points.length <= 10)).toBe(true);
    void live.queue.return();
    expect(hooks.onClose).toHaveBeenCalledTimes(1);
  });

  it('drops the subscriber once a batch has waited stallMs, freeing what it held', async () => {
    const live = subscriber(1000);
    live.accept(logged('x', 0, 5));
    live.flush(false);
    live.accept(logged('x', 5, 5));
    now += 999;
    live.flush(false);
    expect(hooks.onOverflow).not.toHaveBeenCalled();
    now += 1;
    live.flush(false);
    expect(hooks.onOverflow).toHaveBeenCalledTimes(1);
    expect(hooks.onClose).toHaveBeenCalledTimes(1);
    expect(live.queue.queuedWeight).toBe(0);
    await expect(live.queue.next()).rejects.toMatchObject({ extensions: { code: SLOW_SUBSCRIBER } });
    live.accept(logged('x', 10, 5));
    live.flush(false);
    expect(hooks.onOverflow).toHaveBeenCalledTimes(1);
  });

  it('finish() puts the last batch behind one still waiting, then the iterator completes', async () => {
    const live = subscriber();
    live.accept(logged('x', 0, 3));
    live.flush(false);
    live.accept(logged('x', 3, 4));
    live.finish();
    const batches = [];
    for await (const batch of live.queue) batches.push(batch);
    expect(batches.map((batch) => batch.series.map((series) => series.received))).toEqual([[3], [4]]);
    expect(hooks.onClose).toHaveBeenCalledTimes(1);
  });
});
