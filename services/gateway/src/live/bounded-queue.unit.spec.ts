import fc from 'fast-check';
import { BoundedQueue, SLOW_SUBSCRIBER, SlowSubscriberError } from './bounded-queue';

describe('BoundedQueue', () => {
  it('hands items over in order to a reader that keeps up, and ends after what was queued', async () => {
    const closed = jest.fn();
    const queue = new BoundedQueue<number>({ capacity: 2, onClose: closed });
    const first = queue.next();
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    queue.end();
    expect(closed).not.toHaveBeenCalled();
    expect(await first).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(closed).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(queue.push(3)).toBe(false);
  });

  it('drops a reader that stops: the item past capacity fails it, frees what waited, and is reported once', async () => {
    const overflowed = jest.fn();
    const closed = jest.fn();
    const queue = new BoundedQueue<string>({ capacity: 3, onOverflow: overflowed, onClose: closed });
    expect(['a', 'b', 'c'].map((item) => queue.push(item))).toEqual([true, true, true]);
    expect(queue.size).toBe(3);
    expect(queue.push('d')).toBe(false);
    expect(queue.size).toBe(0);
    expect(overflowed).toHaveBeenCalledTimes(1);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(queue.push('e')).toBe(false);
    expect(overflowed).toHaveBeenCalledTimes(1);
    const error = await queue.next().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SlowSubscriberError);
    expect(error).toMatchObject({ extensions: { code: SLOW_SUBSCRIBER } });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('rejects a reader already waiting when it fails', async () => {
    const queue = new BoundedQueue<number>({ capacity: 1 });
    const waiting = queue.next();
    queue.fail(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('return() by the reader closes it and frees the items', async () => {
    const closed = jest.fn();
    const queue = new BoundedQueue<number>({ capacity: 4, onClose: closed });
    queue.push(1);
    const waiting = queue.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(queue.size).toBe(0);
    expect(queue.push(2)).toBe(false);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('weighs what waits and times the oldest wait; drop() fails it as a slow subscriber, reported once', async () => {
    let now = 1000;
    const overflowed = jest.fn();
    const queue = new BoundedQueue<number[]>({
      capacity: 4,
      weigh: (item) => item.length,
      now: () => now,
      onOverflow: overflowed,
    });
    expect([queue.queuedWeight, queue.oldestWaitMs()]).toEqual([0, 0]);
    queue.push([1, 2, 3]);
    now += 50;
    queue.push([4]);
    now += 25;
    expect([queue.queuedWeight, queue.oldestWaitMs()]).toEqual([4, 75]);
    expect(await queue.next()).toEqual({ value: [1, 2, 3], done: false });
    expect([queue.queuedWeight, queue.oldestWaitMs()]).toEqual([1, 25]);
    queue.drop('a batch waited too long');
    queue.drop('again');
    expect(overflowed).toHaveBeenCalledTimes(1);
    expect([queue.size, queue.queuedWeight, queue.oldestWaitMs()]).toEqual([0, 0, 0]);
    const error = await queue.next().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SlowSubscriberError);
    expect((error as Error).message).toMatch(/^Dropped: a batch waited too long;/);
  });

  it('never holds more than its capacity, and drops exactly when a push finds it full', () => {
    // A script of pushes and reads: the queue must agree with a model that counts what waits.
    const step = fc.oneof(fc.constant('push' as const), fc.constant('read' as const));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(step, { maxLength: 60 }), (capacity, script) => {
        const queue = new BoundedQueue<number>({ capacity });
        let waiting = 0;
        let dropped = false;
        for (const [index, action] of script.entries()) {
          if (action === 'push') {
            const taken = queue.push(index);
            if (dropped) expect(taken).toBe(false);
            else if (waiting === capacity) {
              expect(taken).toBe(false);
              dropped = true;
              waiting = 0;
            } else {
              expect(taken).toBe(true);
              waiting += 1;
            }
          } else if (waiting > 0) {
            void queue.next();
            waiting -= 1;
          }
          expect(queue.size).toBe(waiting);
          expect(queue.size).toBeLessThanOrEqual(capacity);
        }
      }),
    );
  });
});
