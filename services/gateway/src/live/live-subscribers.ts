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

/**
 * One metricPoints subscription: points of its keys gather in a reservoir per key (bounded by maxPoints) and go
 * out together at most every intervalMs, as one batch; nothing is sent for an interval without points.
 */
export class MetricPointsSubscriber {
  readonly queue: BoundedQueue<MetricPointsBatch>;
  private readonly reservoirs: Map<string, PointReservoir>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly request: MetricPointsRequest,
    capacity: number,
    hooks: SubscriberHooks,
  ) {
    this.reservoirs = new Map(request.keys.map((key) => [key, new PointReservoir(request.maxPoints)]));
    this.queue = new BoundedQueue({
      capacity,
      onOverflow: hooks.onOverflow,
      onClose: () => {
        clearInterval(this.timer);
        hooks.onClose();
      },
    });
    this.timer = setInterval(() => this.flush(), request.intervalMs);
    this.timer.unref();
  }

  accept(event: PointsLogged): void {
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
    this.flush();
    this.queue.end();
  }

  private flush(): void {
    if (this.queue.isClosed) return;
    const series = [];
    for (const [key, reservoir] of this.reservoirs) {
      if (reservoir.received === 0) continue;
      series.push({ key, ...reservoir.take() });
    }
    if (series.length > 0) this.queue.push({ runId: this.request.runId, series });
  }
}
