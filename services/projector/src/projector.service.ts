import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import { TOPICS } from '../../../libs/events/src/envelope';
import {
  EVENT_LOG,
  type ConsumedBatch,
  type LogRecord,
  type EventLog,
  type Subscription,
} from '../../../libs/log/src/event-log';
import { CLICKHOUSE, type ClickHouse } from '../../../libs/store/src/clickhouse';
import { getExperiment, getRun, type RunView } from '../../../libs/store/src/queries/run.queries';
import {
  getProjectionWatermarks,
  PROJECTED_TABLES,
  type ProjectedTable,
} from '../../../libs/store/src/tables/log-position';
import { insertTsvLines } from '../../../libs/store/src/tables/projection-rows';
import type { RunState } from '../../../libs/domain/src/run/run.decider';
import {
  addEventRows,
  BatchRows,
  runIdOfStream,
  splitByPoints,
  type ExperimentSnapshot,
} from './rows/event-rows';
import { createParseRecordStep } from './steps/parse-record.step';

export interface ProjectorConfig {
  groupId: string;
  maxBatchRecords: number;
  /** Run snapshots kept in memory between batches; a miss reads the runs table. */
  runCacheSize: number;
  /** Rows per insert, at most (a single record larger than this still goes in one insert). */
  maxInsertRows: number;
  /**
   * Fault injection for the crash tests: after this many batches were inserted, the process kills itself before
   * the log records the position — the one window where a naive projector would double rows.
   */
  crashAfterInsertedBatches?: number;
}

export const PROJECTOR_CONFIG = Symbol('PROJECTOR_CONFIG');
const DEAD_LETTER_NAMESPACE = '6f1d9a52-4c1e-4b8e-9a63-2f0f4b7c9e11';

export interface ProjectorStats {
  batches: number;
  records: number;
  points: number;
  deadLetters: number;
}

/**
 * Log → ClickHouse. Per batch: parse → rows (pure) → one insert per table → the log commits the group's position
 * only after every insert resolved. A crash in between is repaired at start: each table's highest projected offset
 * (its watermark) tells which records it already holds.
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projector');
  private readonly parseRecord = createParseRecordStep();
  private readonly watermarks = new Map<string, Map<ProjectedTable, number>>();
  private readonly runCache = new Map<string, RunState>();
  private subscription: Subscription | null = null;
  private batchStartedAt: number | null = null;
  readonly stats: ProjectorStats = { batches: 0, records: 0, points: 0, deadLetters: 0 };

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLICKHOUSE) private readonly ch: ClickHouse,
    @Inject(PROJECTOR_CONFIG) private readonly config: ProjectorConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.log.subscribe({
      groupId: this.config.groupId,
      topics: [TOPICS.lifecycle, TOPICS.metrics],
      maxBatchRecords: this.config.maxBatchRecords,
      eachBatch: (batch) => this.projectBatch(batch),
      onError: (error) => {
        // Our in-memory view may be ahead of what ClickHouse holds: forget it and re-read before the retry.
        this.watermarks.clear();
        this.runCache.clear();
        this.logger.error(`batch failed, will retry: ${String(error)}`);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  async projectBatch(batch: ConsumedBatch): Promise<void> {
    this.batchStartedAt = Date.now();
    try {
      for (const records of splitByPoints(batch.records, this.config.maxInsertRows)) {
        await this.projectRecords(batch, records);
      }
    } finally {
      this.batchStartedAt = null;
    }
  }

  /** How long the batch in hand has been running: a stalled projector shows here, and /healthz says degraded. */
  inFlightMs(): number {
    return this.batchStartedAt === null ? 0 : Date.now() - this.batchStartedAt;
  }

  /**
   * One insert per table for these records, in offset order. Each insert is kept to one MergeTree part (so it lands
   * whole or not at all), which is what makes a table's highest offset a trustworthy watermark.
   */
  private async projectRecords(batch: ConsumedBatch, records: LogRecord[]): Promise<void> {
    const watermarks = await this.watermarksFor(batch.topic, batch.partition);
    const rows = new BatchRows();
    const deadLetters: { offset: number; reason: string; error: string }[] = [];
    for (const record of records) {
      const parsed = this.parseRecord({ record });
      if (parsed.kind !== 'ok') {
        deadLetters.push({
          offset: record.offset,
          reason: parsed.reason,
          error: parsed.kind === 'dlq' ? String(parsed.error) : '',
        });
        continue;
      }
      const { event } = parsed.value;
      const needs = (table: ProjectedTable) => record.offset > (watermarks.get(table) ?? -1);
      const id = runIdOfStream(event.stream);
      const run =
        event.stream.startsWith('run:') && needs('runs') ? await this.runState(id, rows) : undefined;
      const experiment =
        event.stream.startsWith('experiment:') && needs('experiments')
          ? await this.experimentSnapshot(id, rows)
          : undefined;
      addEventRows(
        rows,
        event,
        { topic: batch.topic, partition: batch.partition, offset: record.offset },
        needs,
        { run, experiment },
        record.event,
      );
    }
    rows.finishSnapshots();
    if (deadLetters.length > 0) await this.deadLetter(batch, deadLetters);
    // Independent tables: insert them concurrently; every one must succeed before the position moves.
    await Promise.all(PROJECTED_TABLES.map((table) => insertTsvLines(this.ch, table, rows.lines[table])));
    if (this.stats.batches + 1 === this.config.crashAfterInsertedBatches)
      process.kill(process.pid, 'SIGKILL');
    const last = records[records.length - 1].offset;
    for (const table of PROJECTED_TABLES) if (rows.lines[table].length > 0) watermarks.set(table, last);
    for (const [runId, { state }] of rows.touchedRuns) this.cacheRun(runId, state);
    this.stats.batches += 1;
    this.stats.records += records.length;
    this.stats.points += rows.points;
    this.stats.deadLetters += deadLetters.length;
  }

  private async watermarksFor(topic: string, partition: number): Promise<Map<ProjectedTable, number>> {
    const key = `${topic}/${partition}`;
    let marks = this.watermarks.get(key);
    if (!marks) {
      marks = new Map();
      for (const table of PROJECTED_TABLES) {
        const offset = (await getProjectionWatermarks(this.ch, table, topic)).get(partition);
        if (offset !== undefined) marks.set(table, offset);
      }
      this.watermarks.set(key, marks);
    }
    return marks;
  }

  private async runState(runId: string, rows: BatchRows): Promise<RunState | undefined> {
    if (rows.touchedRuns.has(runId)) return undefined;
    const cached = this.runCache.get(runId);
    if (cached) return cached;
    const view = await getRun(this.ch, runId);
    return view ? runStateFromView(view) : undefined;
  }

  /** Experiments change rarely: their last row is read back when a batch changes one, no cache. */
  private async experimentSnapshot(
    experimentId: string,
    rows: BatchRows,
  ): Promise<ExperimentSnapshot | undefined> {
    if (rows.touchedExperiments.has(experimentId)) return undefined;
    return (await getExperiment(this.ch, experimentId)) ?? undefined;
  }

  private cacheRun(runId: string, state: RunState): void {
    this.runCache.delete(runId);
    this.runCache.set(runId, state);
    // Map keeps insertion order: the first key is the least recently written.
    if (this.runCache.size > this.config.runCacheSize) {
      this.runCache.delete(this.runCache.keys().next().value as string);
    }
  }

  private async deadLetter(
    batch: ConsumedBatch,
    letters: { offset: number; reason: string; error: string }[],
  ) {
    this.logger.warn(`dead-lettering ${letters.length} record(s) of ${batch.topic}: ${letters[0].reason}`);
    await this.log.appendToStream(
      TOPICS.deadletter,
      `deadletter:${this.config.groupId}`,
      letters.map((letter) => ({
        // Derived from the position so a re-projected batch dead-letters each record once.
        id: uuidv5(
          `${this.config.groupId}/${batch.topic}/${batch.partition}/${letter.offset}`,
          DEAD_LETTER_NAMESPACE,
        ),
        type: 'projection.deadlettered',
        v: 1,
        workspace: 'system',
        actor: this.config.groupId,
        occurredAt: new Date().toISOString(),
        payload: { topic: batch.topic, partition: batch.partition, ...letter },
      })),
    );
  }
}

/**
 * Params, tags, inputs and artifacts live in their own tables; a run's row needs only the snapshot fields, which
 * the runs table holds in full.
 */
export function runStateFromView(view: RunView): RunState {
  const base = {
    runId: view.runId,
    experimentId: view.experimentId,
    name: view.name,
    createdAt: view.createdAt,
    startTime: view.started ? view.startTime : null,
    sweepId: view.sweepId,
    parentRunId: view.parentRunId,
    deleted: view.deleted,
    note: view.note,
    context: view.context,
    params: {},
    tags: {},
    artifacts: {},
    inputs: [],
  };
  if (view.status === 'queued' || view.status === 'running' || view.status === 'stale') {
    return { ...base, status: view.status };
  }
  return {
    ...base,
    status: view.status as 'finished' | 'failed' | 'killed',
    endTime: view.endTime ?? view.startTime,
    failureReason: view.failureReason,
    stackTrace: view.stackTrace,
  };
}
