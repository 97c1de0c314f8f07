import { TERMINAL_STATUSES, type RunStatus } from '../../../../libs/domain/src/run/run.decider';
import { BoundedQueue } from './bounded-queue';
import { metricValue, type PointsLogged, type StatusChange } from './live-events';
import type { MetricPointsBatch, RunStatusChange } from './live.models';
import { PointReservoir } from './point-reservoir';

/** What a subscriber tells the feed: it was dropped for not reading, or it is gone (unregister it). */
export interface SubscriberHooks {
  onOverflow: () => void;
  onClose: () => void;
}

/** The status a subscription starts from, as projected; null when the store does not know the run (yet). */
export interface ProjectedStatus {
  status: string;
  at: number;
  reason: string | null;
}

/**
 * One runStatusChanged subscription. Changes that arrive while its first status is read from the store wait
 * (a run has few), then follow it; a change to the status last sent is not sent again, and an ending is the last
 * emission: the iterator completes after it.
 */
export class RunStatusSubscriber {
  readonly queue: BoundedQueue<RunStatusChange>;
  private waiting: StatusChange[] | null = [];
  private last: string | null = null;

  constructor(
    readonly runId: string,
    capacity: number,
    hooks: SubscriberHooks,
  ) {
    this.queue = new BoundedQueue({ capacity, ...hooks });
  }

  accept(change: StatusChange): void {
    if (this.waiting) {
      // Bounded like the queue: past it the oldest wait is dropped, the newest status is what matters.
      if (this.waiting.length >= this.queue.capacity) this.waiting.shift();
      this.waiting.push(change);
      return;
    }
    this.emit({ ...change, initial: false });
  }

  begin(projected: ProjectedStatus | null): void {
    const waiting = this.waiting ?? [];
    this.waiting = null;
    if (projected) this.emit({ ...projected, initial: true });
    for (const change of waiting) this.emit({ ...change, initial: false });
  }

  private emit(change: Omit<RunStatusChange, 'runId'>): void {
    if (this.queue.isClosed || change.status === this.last) return;
    this.last = change.status;
    this.queue.push({
      runId: this.runId,
      status: change.status,
      at: change.at,
      reason: change.reason,
      initial: change.initial,
    });
    if (TERMINAL_STATUSES.has(change.status as RunStatus)) this.queue.end();
  }
}

export interface MetricPointsRequest {
  runId: string;
  keys: string[];
  maxPoints: number;
  intervalMs: number;
}

export interface MetricPointsBounds {
  /** Emissions that may wait (a backstop: batches are coalesced, so at most two ever wait). */
  capacity: number;
  /** A batch that waited this long to be taken drops the subscriber. */
  stallMs: number;
  now?: () => number;
}

/** The points an emission carries. */
export function batchPoints(batch: MetricPointsBatch): number {
  let points = 0;
  for (const series of batch.series) points += series.points.length;
  return points;
}

/**
 * One metricPoints subscription: points of its keys gather in a reservoir per key (bounded by maxPoints) and go
 * out together at most every intervalMs, as one batch; nothing is sent for an interval without points. Batches
 * are coalesced: while the last one still waits to be taken (the socket has not taken the one before it), no new
 * one is made and the points keep gathering in the reservoirs, so a subscriber holds at most one batch waiting,
 * one in flight and its reservoirs, keys × maxPoints each, however long it stalls; once a batch has waited
 * stallMs, the subscriber is dropped (SLOW_SUBSCRIBER).
 */
export class MetricPointsSubscriber {
  readonly queue: BoundedQueue<MetricPointsBatch>;
  private readonly reservoirs: Map<string, PointReservoir>;
  private readonly timer: NodeJS.Timeout;
  private readonly stallMs: number;

  constructor(
    readonly request: MetricPointsRequest,
    bounds: MetricPointsBounds,
    hooks: SubscriberHooks,
  ) {
    this.reservoirs = new Map(request.keys.map((key) => [key, new PointReservoir(request.maxPoints)]));
    this.stallMs = bounds.stallMs;
    this.queue = new BoundedQueue({
      capacity: bounds.capacity,
      weigh: batchPoints,
      now: bounds.now,
      onOverflow: hooks.onOverflow,
      onClose: () => {
        clearInterval(this.timer);
        hooks.onClose();
      },
    });
    this.timer = setInterval(() => this.flush(false), request.intervalMs);
    this.timer.unref();
  }

  /** What its request may hold per batch, and in its reservoirs: keys × maxPoints. */
  get reservedPoints(): number {
    return this.request.keys.length * this.request.maxPoints;
  }

  /** Points held now: in batches waiting to be taken, and in the reservoirs. */
  get heldPoints(): number {
    let held = this.queue.queuedWeight;
    for (const reservoir of this.reservoirs.values()) held += reservoir.heldPoints;
    return held;
  }

  accept(event: PointsLogged): void {
    if (this.queue.isClosed) return;
    for (const series of event.series) {
      const reservoir = this.reservoirs.get(series.key);
      if (!reservoir) continue;
      const { steps, values, timestamps } = series;
      for (let i = 0; i < steps.length; i++) {
        reservoir.add({
          step: steps[i],
          value: metricValue(values[i]),
          timestamp: timestamps?.[i] ?? event.defaultTimestamp,
        });
      }
    }
  }

  /** The run ended and every point logged before its end was read: the last batch, then the iterator completes. */
  finish(): void {
    this.flush(true);
    this.queue.end();
  }

  /** The timer's flush coalesces into a batch still waiting; the last one (`final`) goes behind it. */
  flush(final: boolean): void {
    if (this.queue.isClosed) return;
    if (!final && this.queue.size > 0) {
      const waited = this.queue.oldestWaitMs();
      if (waited >= this.stallMs) this.queue.drop(`a batch waited ${waited} ms to be sent`);
      return;
    }
    const series = [];
    for (const [key, reservoir] of this.reservoirs) {
      if (reservoir.received === 0) continue;
      series.push({ key, ...reservoir.take() });
    }
    if (series.length > 0) this.queue.push({ runId: this.request.runId, series });
  }
}
