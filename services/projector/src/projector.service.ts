import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TOPICS } from '../../../libs/events/src/envelope';
import {
  EVENT_LOG,
  type ConsumedBatch,
  type EventLog,
  type Subscription,
} from '../../../libs/log/src/event-log';
import { CLICKHOUSE, type ClickHouse } from '../../../libs/store/src';
import { DeadLetterEvents } from './dead-letters/dead-letter-events';
import { BatchGate } from './pipeline/batch-gate';
import { describeError } from './pipeline/insert-errors';
import { createProjections, type Projections } from './pipeline/projections';
import { ProjectionState } from './pipeline/projection-state';
import { createRecoverIntentStep, type RecoverIntentStep } from './pipeline/recover-intent';
import type { BuildRowsStep } from './steps/build-rows.step';
import { createParseRecordStep, type ParseRecordDeps, type ParseRecordStep } from './steps/parse-record.step';

export { runStateFromView } from './rows/run-state-from-view';

export interface ProjectorConfig {
  groupId: string;
  maxBatchRecords: number;
  /** Run snapshots kept in memory between batches; a miss reads the runs table. */
  runCacheSize: number;
  /** Rows per insert, at most (a single record larger than this still goes in one insert). */
  maxInsertRows: number;
  /** /healthz says degraded when the group's position has not moved for this long while there is lag. */
  stallMs?: number;
  /** How often raw-point age limits are checked and applied (RawRetentionService); 60 s when unset. */
  retentionCheckMs?: number;
  /**
   * Fault injection for the crash tests: after this many batches were inserted, the process kills itself before
   * the log records the position — the one window where a naive projector would double rows.
   */
  crashAfterInsertedBatches?: number;
  /** Counts only the groups of this topic toward crashAfterInsertedBatches (all topics when unset). */
  crashTopic?: string;
}

export const PROJECTOR_CONFIG = Symbol('PROJECTOR_CONFIG');
/** Optional: upcasters beyond the built-in ones (a fix deployed for records already in the log); tests bind it. */
export const PROJECTOR_PARSE_DEPS = Symbol('PROJECTOR_PARSE_DEPS');

export interface ProjectorStats {
  batches: number;
  records: number;
  points: number;
  deadLetters: number;
}

/** The topics whose records become projections, and the one that tells which records did not. */
export const PROJECTED_TOPICS = [TOPICS.lifecycle, TOPICS.metrics, TOPICS.registry] as const;

/**
 * Log → ClickHouse: subscribes the group to the projected topics and the deadletter topic and hands each batch to
 * its pipeline. The log commits the group's position only after the pipeline resolved; a crash in between is
 * repaired at start by each table's watermark (its highest projected offset).
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projector');
  readonly parseRecord: ParseRecordStep;
  readonly state: ProjectionState;
  private readonly recoverIntent: RecoverIntentStep;
  readonly buildRows: BuildRowsStep;
  readonly deadLetterEvents: DeadLetterEvents;
  readonly gate = new BatchGate();
  private readonly projections: Projections;
  private subscription: Subscription | null = null;
  private batchStartedAt: number | null = null;
  readonly stats: ProjectorStats = { batches: 0, records: 0, points: 0, deadLetters: 0 };

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLICKHOUSE) readonly ch: ClickHouse,
    @Inject(PROJECTOR_CONFIG) readonly config: ProjectorConfig,
    @Optional() @Inject(PROJECTOR_PARSE_DEPS) parseDeps?: Partial<ParseRecordDeps>,
  ) {
    this.parseRecord = createParseRecordStep(parseDeps);
    this.deadLetterEvents = new DeadLetterEvents(log, config.groupId);
    this.projections = createProjections({
      ch,
      groupId: config.groupId,
      maxInsertRows: config.maxInsertRows,
      runCacheSize: config.runCacheSize,
      parseRecord: this.parseRecord,
      deadLettered: async (letters) => {
        this.logger.warn(
          `dead-lettering ${letters[0].topic}/${letters[0].partition}@${letters[0].offset}: ${letters[0].reason}`,
        );
        await this.deadLetterEvents.deadLettered(letters);
      },
      afterInsert: this.crashHook(config.crashAfterInsertedBatches, config.crashTopic),
    });
    this.state = this.projections.state;
    this.buildRows = this.projections.buildRows;
    this.recoverIntent = createRecoverIntentStep({
      reader: this.projections.reader,
      writer: this.projections.writer,
      log,
      parseRecord: this.parseRecord,
      buildRows: this.buildRows,
      skipped: (reason) => this.logger.warn(`intent not recovered: ${reason}`),
    });
  }

  onApplicationBootstrap(): void {
    this.subscription = this.log.subscribe({
      groupId: this.config.groupId,
      topics: [...PROJECTED_TOPICS, TOPICS.deadletter],
      maxBatchRecords: this.config.maxBatchRecords,
      eachBatch: (batch) => this.projectBatch(batch),
      onError: (error) => {
        // An insert may have landed without our knowing: forget the watermarks and snapshots, read them again.
        this.state.forget();
        this.recoverIntent.forget();
        this.logger.error(`batch failed, will retry: ${describeError(error)}`);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  async projectBatch(batch: ConsumedBatch): Promise<void> {
    if (batch.topic === TOPICS.deadletter) {
      // Under the gate too: a replay holding it compares and swaps dead_letters with nothing landing meanwhile.
      await this.gate.shared(() => this.projections.project(batch));
      return;
    }
    await this.gate.shared(async () => {
      this.batchStartedAt = Date.now();
      try {
        // The watermarks the pipeline reads next must see what a recovered insert wrote.
        if (batch.topic !== TOPICS.registry && (await this.recoverIntent(batch))) this.state.forget();
        const counts = await this.projections.project(batch);
        if (batch.topic !== TOPICS.registry) this.recoverIntent.advance(batch);
        this.stats.batches += counts.groups;
        this.stats.records += counts.records;
        this.stats.points += counts.points;
        this.stats.deadLetters += counts.deadLetters;
      } finally {
        this.batchStartedAt = null;
      }
    });
  }

  /** Reads of the live store, as the projector sees it. */
  get reader() {
    return this.projections.reader;
  }

  /** After the tables were swapped under it (a replay): snapshots and watermarks are read again. */
  forgetState(): void {
    this.state.forget();
    this.recoverIntent.forget();
  }

  /** How long the batch in hand has been running: a stalled projector shows here, and /healthz says degraded. */
  inFlightMs(): number {
    return this.batchStartedAt === null ? 0 : Date.now() - this.batchStartedAt;
  }

  /**
   * The crash tests' fault: SIGKILL after the n-th group (of `topic`, when named) landed, before the log records
   * its position. Naming the topic lets a test put the kill on a batch of points, whose replay its counts see.
   */
  private crashHook(
    afterGroups: number | undefined,
    topic: string | undefined,
  ): (landedTopic: string) => void {
    let landed = 0;
    return (landedTopic) => {
      if (topic !== undefined && landedTopic !== topic) return;
      landed += 1;
      if (landed === afterGroups) process.kill(process.pid, 'SIGKILL');
    };
  }
}
