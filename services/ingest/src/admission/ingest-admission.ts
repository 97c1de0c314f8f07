import type { NextFunction, Request, Response } from 'express';
import { drainUnread } from '../http-errors';

export interface IngestAdmissionConfig {
  /**
   * RUNLOG_INGEST_MAX_CONCURRENT_BATCHES: metric batches this process handles at once; one more is refused at
   * once. One event loop does a batch's work, so batches past a few only wait there, each holding its body.
   */
  maxConcurrentBatches: number;
  /**
   * RUNLOG_INGEST_MAX_PROJECTION_LAG: metric records the projection may be behind before batches are refused
   * (null: never). For a process that projects what it ingests, on the same cores: ingest that outruns the
   * projection only makes every chart older.
   */
  maxProjectionLag: number | null;
}

/** Records of the metrics topic the projection has not yet committed; counting may stop at `atMost`. */
export type ProjectionLagProbe = (atMost: number) => Promise<number>;

/** A lag read taking longer than this counts as unreadable: ingest is admitted, not held on a stuck read. */
const PROBE_TIMEOUT_MS = 5_000;

export interface IngestAdmissionStats {
  inFlight: number;
  /** Refused because maxConcurrentBatches were being handled. */
  refusedBusy: number;
  /** Refused because the projection was behind by more than maxProjectionLag. */
  refusedBehind: number;
  projectionLag: number | null;
}

const METRICS_ROUTE = /^\/api\/v1\/runs\/[^/]+\/metrics\/?$/i;
const LAG_POLL_MS = 100;
const RETRY_AFTER_SECONDS = '1';

/**
 * Load shedding for the metric path, before a byte of the body is read: a batch past the limits gets 503 with
 * Retry-After, and the SDK sends it again, same eventId, after a backoff. An overloaded server then answers in
 * milliseconds instead of queueing every client's batch for seconds, its memory stays bounded by the batches it
 * admitted, and (with maxProjectionLag) what it acknowledges stays within reach of the charts. Lifecycle and other
 * requests are never shed: they are small, and a run's ending must not wait behind its points.
 */
export class IngestAdmission {
  private inFlight = 0;
  private refusedBusy = 0;
  private refusedBehind = 0;
  private lag: number | null = null;
  private behind = false;
  private poller: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly config: IngestAdmissionConfig,
    private readonly probe: ProjectionLagProbe | null = null,
  ) {
    if (!Number.isInteger(config.maxConcurrentBatches) || config.maxConcurrentBatches < 1) {
      throw new RangeError(
        `maxConcurrentBatches must be a positive integer, got ${config.maxConcurrentBatches}`,
      );
    }
  }

  /** Starts following the projection's lag, when a limit and a probe are given. */
  start(): void {
    if (this.config.maxProjectionLag === null || this.probe === null || this.poller) return;
    this.poller = setInterval(() => void this.pollLag(), LAG_POLL_MS).unref();
    void this.pollLag();
  }

  stop(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  stats(): IngestAdmissionStats {
    return {
      inFlight: this.inFlight,
      refusedBusy: this.refusedBusy,
      refusedBehind: this.refusedBehind,
      projectionLag: this.lag,
    };
  }

  middleware() {
    return (request: Request, response: Response, next: NextFunction): void => {
      if (request.method !== 'POST' || !METRICS_ROUTE.test(request.path)) return next();
      if (this.behind) {
        this.refusedBehind += 1;
        return shed(request, response, {
          error: 'projection_behind',
          message: `the projection is ${this.lag} records behind (limit ${this.config.maxProjectionLag}); retry with the same eventId`,
        });
      }
      if (this.inFlight >= this.config.maxConcurrentBatches) {
        this.refusedBusy += 1;
        return shed(request, response, {
          error: 'ingest_busy',
          message: `${this.inFlight} metric batches are being handled; retry with the same eventId`,
        });
      }
      this.inFlight += 1;
      // 'close' comes once for every response, answered or cut off.
      response.once('close', () => {
        this.inFlight -= 1;
      });
      next();
    };
  }

  private async pollLag(): Promise<void> {
    if (this.polling || this.probe === null || this.config.maxProjectionLag === null) return;
    this.polling = true;
    try {
      const limit = this.config.maxProjectionLag;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('lag read timed out')), PROBE_TIMEOUT_MS);
      });
      try {
        this.lag = await Promise.race([this.probe(limit + 1), timedOut]);
      } finally {
        clearTimeout(timer);
      }
      // Hysteresis: admitted again once half the limit is left, so the edge does not flap every poll.
      this.behind = this.behind ? this.lag > limit / 2 : this.lag > limit;
    } catch {
      // An unreadable lag must not stop ingest: the log's own backpressure still bounds it.
      this.lag = null;
      this.behind = false;
    } finally {
      this.polling = false;
    }
  }
}

function shed(request: Request, response: Response, body: { error: string; message: string }): void {
  drainUnread(request);
  response.setHeader('retry-after', RETRY_AFTER_SECONDS);
  response.status(503).json(body);
}
