import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { TERMINAL_STATUSES, type RunStatus } from '../../../../libs/domain/src/run/run.decider';
import { TOPICS } from '../../../../libs/events/src/envelope';
import { EVENT_LOG, type EventLog, type LogRecord } from '../../../../libs/log/src/event-log';
import {
  CLICKHOUSE,
  getRun,
  inReadScope,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
} from '../../../../libs/store/src';
import { GRAPHQL_LIMITS, type GraphqlLimitsConfig } from '../limits/graphql-limits';
import { LivePointsLimitError } from './live-args';
import type { LiveConnection } from './live-connection';
import { toLiveEvent, type StatusChange } from './live-events';
import {
  MetricPointsSubscriber,
  RunStatusSubscriber,
  type MetricPointsRequest,
  type ProjectedStatus,
} from './live-subscribers';
import { LogTail } from './log-tail';
import type { MetricPointsBatch, RunStatusChange } from './live.models';

/** How often the tail asks the log for what is new: the latency a live chart adds at most, besides its interval. */
const POLL_INTERVAL_MS = 100;
/** The tail stops this long after its last subscriber left, so a dashboard reloading does not restart it each time. */
const IDLE_STOP_MS = 30_000;
/** Records per read: lifecycle records are small; a metrics record may carry 250,000 points. */
const LIFECYCLE_RECORDS_PER_READ = 500;
const METRICS_RECORDS_PER_READ = 8;

export interface LiveFeedStats {
  tailRunning: boolean;
  statusSubscribers: number;
  pointSubscribers: number;
  /** Emissions waiting in the fullest subscriber queue, and the bound none may pass. */
  maxQueuedEmissions: number;
  queueBound: number;
  /** Points the fullest metricPoints subscriber holds (batches waiting and reservoirs), and its keys × maxPoints. */
  maxHeldPoints: number;
  maxHeldPointsReserved: number;
  /** Keys × maxPoints summed over the open metricPoints subscriptions, and its cap. */
  livePoints: number;
  livePointsBudget: number;
  /** A batch waiting this long drops its subscriber. */
  stallMs: number;
  /** Subscribers dropped for not reading since the process started. */
  droppedSlowSubscribers: number;
  /** The process's JavaScript heap in use (MiB): where subscribers' batches and reservoirs live. */
  heapUsedMiB: number;
  tail: ReturnType<LogTail['stats']>;
}

/**
 * The gateway's live feed: a tail of the lifecycle and metrics topics of its own (log-tail.ts), started by the
 * first subscriber and stopped when the last one has been gone a while, dispatching what it reads to the
 * subscribers of each run. An ending is held to the end of the tail's cycle: by then the metrics topic was read up
 * to ends taken after the ending was, so every point logged before a run finished goes out before it completes.
 */
@Injectable()
export class LiveFeed implements OnModuleDestroy {
  private readonly logger = new Logger('LiveFeed');
  private readonly tail: LogTail;
  private readonly reader: ClickhouseReader;
  private readonly statusSubscribers = new Map<string, Set<RunStatusSubscriber>>();
  private readonly pointSubscribers = new Map<string, Set<MetricPointsSubscriber>>();
  private endedThisCycle = new Map<string, StatusChange>();
  /** What each subscriber may read: another workspace's run is followed as an unknown one, which never changes. */
  private readonly readScopes = new WeakMap<object, ReadScope>();
  private droppedSlowSubscribers = 0;
  /** Keys × maxPoints of the open metricPoints subscriptions. */
  private livePoints = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(CLICKHOUSE) ch: ClickHouse,
    @Inject(GRAPHQL_LIMITS) private readonly limits: GraphqlLimitsConfig,
  ) {
    this.reader = readerFor(ch);
    this.tail = new LogTail(
      {
        topics: [TOPICS.lifecycle, TOPICS.metrics],
        pollIntervalMs: POLL_INTERVAL_MS,
        maxRecordsPerRead: (topic) =>
          topic === TOPICS.metrics ? METRICS_RECORDS_PER_READ : LIFECYCLE_RECORDS_PER_READ,
      },
      {
        log,
        wants: (topic) =>
          topic === TOPICS.metrics
            ? this.pointSubscribers.size > 0
            : this.pointSubscribers.size > 0 || this.statusSubscribers.size > 0,
        onRecords: (records) => this.dispatch(records),
        onCycleEnd: () => this.endRuns(),
        onError: (error) => this.logger.warn(`live tail: ${String(error)}`),
      },
    );
  }

  async followStatus(
    runId: string,
    connection?: LiveConnection,
    scope: ReadScope = 'all',
  ): Promise<AsyncIterableIterator<RunStatusChange>> {
    await this.startTail();
    const subscriber = new RunStatusSubscriber(runId, this.limits.subscriptionBuffer, {
      onOverflow: () => this.dropSlow(connection),
      onClose: () => this.remove(this.statusSubscribers, runId, subscriber),
    });
    this.readScopes.set(subscriber, scope);
    this.add(this.statusSubscribers, runId, subscriber);
    // Registered before the read: a change the store does not show yet reaches the subscriber from the tail.
    subscriber.begin(await this.projectedStatus(runId, scope));
    return subscriber.queue;
  }

  async followPoints(
    request: MetricPointsRequest,
    connection?: LiveConnection,
    scope: ReadScope = 'all',
  ): Promise<AsyncIterableIterator<MetricPointsBatch>> {
    // Taken before the wait for the tail, so that subscriptions arriving together cannot all pass the check.
    const asked = request.keys.length * request.maxPoints;
    if (this.livePoints + asked > this.limits.maxLivePoints) {
      throw new LivePointsLimitError(asked, this.livePoints, this.limits.maxLivePoints);
    }
    this.livePoints += asked;
    try {
      await this.startTail();
    } catch (error) {
      this.livePoints -= asked;
      throw error;
    }
    const bounds = { capacity: this.limits.subscriptionBuffer, stallMs: this.limits.subscriptionStallMs };
    const subscriber = new MetricPointsSubscriber(request, bounds, {
      onOverflow: () => this.dropSlow(connection),
      onClose: () => {
        this.livePoints -= asked;
        this.remove(this.pointSubscribers, request.runId, subscriber);
      },
    });
    this.readScopes.set(subscriber, scope);
    this.add(this.pointSubscribers, request.runId, subscriber);
    // An ended run takes no more points (409): its subscription has nothing to wait for.
    const projected = await this.projectedStatus(request.runId, scope);
    if (projected && TERMINAL_STATUSES.has(projected.status as RunStatus)) subscriber.finish();
    return subscriber.queue;
  }

  stats(): LiveFeedStats {
    let statusSubscribers = 0;
    let pointSubscribers = 0;
    let maxQueuedEmissions = 0;
    let maxHeldPoints = 0;
    let maxHeldPointsReserved = 0;
    for (const set of this.statusSubscribers.values()) {
      statusSubscribers += set.size;
      for (const subscriber of set) maxQueuedEmissions = Math.max(maxQueuedEmissions, subscriber.queue.size);
    }
    for (const set of this.pointSubscribers.values()) {
      pointSubscribers += set.size;
      for (const subscriber of set) {
        maxQueuedEmissions = Math.max(maxQueuedEmissions, subscriber.queue.size);
        const held = subscriber.heldPoints;
        if (held < maxHeldPoints) continue;
        maxHeldPoints = held;
        maxHeldPointsReserved = subscriber.reservedPoints;
      }
    }
    return {
      tailRunning: this.tail.running,
      statusSubscribers,
      pointSubscribers,
      maxQueuedEmissions,
      queueBound: this.limits.subscriptionBuffer,
      maxHeldPoints,
      maxHeldPointsReserved,
      livePoints: this.livePoints,
      livePointsBudget: this.limits.maxLivePoints,
      stallMs: this.limits.subscriptionStallMs,
      droppedSlowSubscribers: this.droppedSlowSubscribers,
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      tail: this.tail.stats(),
    };
  }

  async onModuleDestroy(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.tail.stop();
    for (const subscribers of [...this.statusSubscribers.values(), ...this.pointSubscribers.values()]) {
      for (const subscriber of [...subscribers]) subscriber.queue.end();
    }
  }

  private async startTail(): Promise<void> {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    await this.tail.start();
  }

  private async projectedStatus(runId: string, scope: ReadScope): Promise<ProjectedStatus | null> {
    try {
      const run = await getRun(this.reader, runId);
      if (!run || !inReadScope(scope, run.workspace)) return null;
      return {
        status: run.status,
        at: run.endTime ?? (run.started ? run.startTime : run.createdAt),
        reason: run.failureReason,
      };
    } catch (error) {
      // The changes still come from the log; only the starting point is missing.
      this.logger.warn(`live: status of run ${runId} not read: ${String(error)}`);
      return null;
    }
  }

  private dispatch(records: LogRecord[]): void {
    for (const record of records) {
      const event = toLiveEvent(record);
      if (event === null) continue;
      if (event.kind === 'points') {
        for (const subscriber of this.pointSubscribers.get(event.runId) ?? [])
          if (this.sees(subscriber, event.workspace)) subscriber.accept(event);
      } else if (event.terminal) {
        this.endedThisCycle.set(event.runId, event);
      } else {
        for (const subscriber of this.statusSubscribers.get(event.runId) ?? [])
          if (this.sees(subscriber, event.workspace)) subscriber.accept(event);
      }
    }
  }

  private endRuns(): void {
    if (this.endedThisCycle.size === 0) return;
    const ended = this.endedThisCycle;
    this.endedThisCycle = new Map();
    for (const [runId, change] of ended) {
      for (const subscriber of [...(this.pointSubscribers.get(runId) ?? [])])
        if (this.sees(subscriber, change.workspace)) subscriber.finish();
      for (const subscriber of [...(this.statusSubscribers.get(runId) ?? [])])
        if (this.sees(subscriber, change.workspace)) subscriber.accept(change);
    }
  }

  private sees(subscriber: object, workspace: string): boolean {
    return inReadScope(this.readScopes.get(subscriber) ?? [], workspace);
  }

  private dropSlow(connection: LiveConnection | undefined): void {
    this.droppedSlowSubscribers += 1;
    connection?.dropSlow();
  }

  private add<T>(map: Map<string, Set<T>>, runId: string, subscriber: T): void {
    let set = map.get(runId);
    if (!set) map.set(runId, (set = new Set()));
    set.add(subscriber);
  }

  private remove<T>(map: Map<string, Set<T>>, runId: string, subscriber: T): void {
    const set = map.get(runId);
    if (!set?.delete(subscriber)) return;
    if (set.size === 0) map.delete(runId);
    if (this.statusSubscribers.size === 0 && this.pointSubscribers.size === 0 && !this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        if (this.statusSubscribers.size === 0 && this.pointSubscribers.size === 0) void this.tail.stop();
      }, IDLE_STOP_MS);
      this.idleTimer.unref();
    }
  }
}
