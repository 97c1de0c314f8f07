import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TOPICS } from '../../../libs/events/src/envelope';
import { EVENT_LOG, type EventLog, type LogRecord } from '../../../libs/log/src/event-log';
import { DomainError } from '../../../libs/domain/src/errors';
import { INGEST_ROUTING, ownerOf, type IngestRouting } from './ingest-router';

export interface LivenessConfig {
  /** A running run not heard from for this long is marked stale; 0 turns marking off. */
  staleAfterMs: number;
}

export const LIVENESS_CONFIG = Symbol('LIVENESS_CONFIG');

/** Runs tracked at once, at most; past it the longest-silent is dropped, with a warning. */
const MAX_TRACKED_RUNS = 1_000_000;
const SCAN_PAGE_RECORDS = 5_000;

export type StaleHandler = (runId: string, lastSeenAt: number, timeoutMs: number) => Promise<void>;

/**
 * When each running run owned by this process was last heard from (any write or heartbeat of its client). Heartbeats
 * are not logged, since one every few seconds per run would bury the run's history; only the conclusion is: a
 * run silent past `staleAfterMs` gets `run.marked_stale` through the run decider, which drops the mark if the run
 * has ended or moved on meanwhile. After a restart the process does not know when runs were last heard from, so
 * every run still running in the log counts as heard from at start: a dead client's run is marked one timeout later.
 */
@Injectable()
export class LivenessTracker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LivenessTracker.name);
  /** runId → last seen (ms); Map order is the order runs were last seen in, oldest first. */
  private readonly lastSeen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private stopped = false;
  private seeding: Promise<void> = Promise.resolve();
  onStale: StaleHandler = async () => {};
  /** The clock; replaced by tests. */
  now: () => number = Date.now;

  constructor(
    @Inject(LIVENESS_CONFIG) private readonly config: LivenessConfig,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(INGEST_ROUTING) private readonly routing: IngestRouting,
  ) {}

  get enabled(): boolean {
    return this.config.staleAfterMs > 0;
  }

  seen(runId: string, at = this.now()): void {
    if (!this.enabled) return;
    this.lastSeen.delete(runId);
    this.lastSeen.set(runId, at);
    if (this.lastSeen.size > MAX_TRACKED_RUNS) {
      // Map order is the order runs were last heard from: the oldest goes. Bounded memory wins over one mark.
      const [oldest] = this.lastSeen.keys();
      this.lastSeen.delete(oldest);
      this.logger.warn(`tracking more than ${MAX_TRACKED_RUNS} runs; run ${oldest} will not be marked stale`);
    }
  }

  /** The run ended or was deleted: nothing to watch. */
  forget(runId: string): void {
    this.lastSeen.delete(runId);
  }

  tracked(): number {
    return this.lastSeen.size;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const every = Math.max(50, Math.min(30_000, Math.floor(this.config.staleAfterMs / 4)));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
    this.seeding = this.seedFromLog().catch((error: unknown) =>
      this.logger.warn(`could not read running runs from the log: ${String(error)}`),
    );
  }

  /** Resolves once the runs running at start have been found in the log. */
  seeded(): Promise<void> {
    return this.seeding;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Marks every run silent past the timeout. */
  async check(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const deadline = this.now() - this.config.staleAfterMs;
      // A whole pass rather than stopping at the first run not due: a retried mark goes back in with its old time.
      const due = [...this.lastSeen].filter(([, at]) => at <= deadline);
      for (const [runId, at] of due) {
        if (this.lastSeen.get(runId) !== at) continue;
        this.lastSeen.delete(runId);
        try {
          await this.onStale(runId, at, this.config.staleAfterMs);
        } catch (error) {
          // A refusal (the run is unknown) is final; anything else (the log down, an append conflict) is retried
          // next time, unless the client spoke meanwhile.
          if (error instanceof DomainError && error.code !== 'concurrency_conflict') continue;
          if (!this.lastSeen.has(runId)) this.lastSeen.set(runId, at);
          this.logger.warn(`could not mark run ${runId} stale, will retry: ${String(error)}`);
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /** Finds the runs this process owns that the log says are running, and starts their clocks now. */
  private async seedFromLog(): Promise<void> {
    const startedAt = this.now();
    const running = new Set<string>();
    const ends = await this.log.endOffsets(TOPICS.lifecycle);
    for (const [partition, end] of ends) {
      for (let offset = 0; offset < end && !this.stopped;) {
        const records = await this.log.read(TOPICS.lifecycle, partition, offset, SCAN_PAGE_RECORDS);
        if (records.length === 0) break;
        for (const record of records) this.follow(record, running);
        offset = records[records.length - 1].offset + 1;
      }
    }
    for (const runId of running) if (!this.lastSeen.has(runId)) this.seen(runId, startedAt);
    if (running.size > 0) this.logger.log(`watching ${running.size} running run(s) found in the log`);
  }

  private follow(record: LogRecord, running: Set<string>): void {
    const { stream, type, payload } = record.event;
    if (!stream.startsWith('run:')) return;
    const runId = stream.slice(4);
    const { peers, self } = this.routing;
    if (peers.length > 1 && ownerOf(runId, peers.length) !== self) return;
    switch (type) {
      case 'run.created':
        if ((payload as { startTime?: number | null }).startTime !== null) running.add(runId);
        return;
      case 'run.started':
      case 'run.resumed':
      case 'run.restored':
        running.add(runId);
        return;
      case 'run.marked_stale':
      case 'run.deleted':
      case 'run.finished':
      case 'run.failed':
      case 'run.killed':
        running.delete(runId);
        return;
    }
  }
}
