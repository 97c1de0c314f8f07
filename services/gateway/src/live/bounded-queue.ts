/** The code a dropped subscriber's iterator ends with (and the reason its WebSocket is closed with). */
export const SLOW_SUBSCRIBER = 'SLOW_SUBSCRIBER';

/**
 * A subscriber did not take its emissions as fast as they came: graphql-ws sends one emission at a time and waits
 * for the socket to take it, so a queue that fills means the client (or its network) does not read.
 * `extensions` travel to the client: graphql-ws wraps an iterator's error and graphql-js copies them over.
 */
export class SlowSubscriberError extends Error {
  readonly code = SLOW_SUBSCRIBER;
  readonly extensions = { code: SLOW_SUBSCRIBER };
  constructor(why: string) {
    super(`Dropped: ${why}; read faster or ask for fewer points`);
  }
}

export interface BoundedQueueOptions<T> {
  /** Emissions that may wait; one more and the queue fails with SlowSubscriberError. */
  capacity: number;
  /** After the queue failed for being full (the subscriber is dropped). */
  onOverflow?: () => void;
  /** Once, when the queue is done for whatever reason: drained after end(), failed, or returned by its reader. */
  onClose?: () => void;
  /** What an item holds (e.g. its points), summed over the items waiting as `queuedWeight`. */
  weigh?: (item: T) => number;
  /** Epoch ms now (tests). */
  now?: () => number;
}

type Waiter<T> = { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void };

/**
 * An async iterator fed by push(), holding at most `capacity` items: graphql-subscriptions' PubSub queues without
 * a bound, so a subscriber that stops reading would grow the server's memory for as long as the run logs.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  /** When each waiting item was pushed, in the same order. */
  private readonly pushedAt: number[] = [];
  private weight = 0;
  private waiter: Waiter<T> | null = null;
  private ending = false;
  private failure: unknown = null;
  private failureDelivered = false;
  private closed = false;

  constructor(private readonly options: BoundedQueueOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${options.capacity}`);
    }
  }

  get capacity(): number {
    return this.options.capacity;
  }

  /** Items waiting to be taken. */
  get size(): number {
    return this.items.length;
  }

  /** The weight (options.weigh) of the items waiting to be taken. */
  get queuedWeight(): number {
    return this.weight;
  }

  /** How long the oldest item waiting has waited, in ms; 0 when none waits. */
  oldestWaitMs(): number {
    return this.pushedAt.length === 0 ? 0 : this.clock() - this.pushedAt[0];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** False when the item was not taken: the queue is closed, or it was full and is now failed. */
  push(item: T): boolean {
    if (this.closed || this.ending) return false;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.items.length >= this.options.capacity) {
      this.drop(`${this.options.capacity} emissions were waiting to be sent`);
      return false;
    }
    this.items.push(item);
    this.pushedAt.push(this.clock());
    this.weight += this.options.weigh?.(item) ?? 0;
    return true;
  }

  /** Fails the queue with SlowSubscriberError (`why` the subscriber is dropped) and reports the overflow. */
  drop(why: string): void {
    if (this.closed) return;
    this.fail(new SlowSubscriberError(why));
    this.options.onOverflow?.();
  }

  /** No more items: the reader gets those already queued, then done. */
  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.items.length === 0) this.finish();
  }

  /** Ends at once with `error`: queued items are dropped (their memory is what a failure frees). */
  fail(error: unknown): void {
    if (this.closed || this.failure !== null) return;
    this.failure = error;
    this.clear();
    const waiter = this.waiter;
    this.waiter = null;
    this.close();
    if (waiter) {
      this.failureDelivered = true;
      waiter.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.failure !== null) {
      if (this.failureDelivered) return Promise.resolve({ value: undefined, done: true });
      this.failureDelivered = true;
      return Promise.reject(this.failure);
    }
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      this.pushedAt.shift();
      this.weight -= this.options.weigh?.(value) ?? 0;
      if (this.ending && this.items.length === 0) this.finish();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed || this.ending) {
      this.finish();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new Error('next() called again before the previous one settled'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The reader is done (graphql-ws calls it when the client completes or the socket closes). */
  return(): Promise<IteratorResult<T>> {
    this.clear();
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.clear();
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private clear(): void {
    this.items.length = 0;
    this.pushedAt.length = 0;
    this.weight = 0;
  }

  private clock(): number {
    return this.options.now?.() ?? Date.now();
  }

  private finish(): void {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.resolve({ value: undefined, done: true });
    }
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose?.();
  }
}
