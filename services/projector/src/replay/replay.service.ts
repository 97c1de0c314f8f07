import { Inject, Injectable, Logger } from '@nestjs/common';
import { TOPICS } from '../../../../libs/events/src/envelope';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import {
  applyMigrations,
  CLICKHOUSE,
  dropDatabase,
  exchangeTables,
  listProjectionTables,
  materializeRawRetention,
  reapplyTtls,
  reloadRunRawRetention,
  tableChecksum,
  writerFor,
  type ClickHouse,
  type TableChecksum,
} from '../../../../libs/store/src';
import { describeError } from '../pipeline/insert-errors';
import { createProjections, type Projections } from '../pipeline/projections';
import { PROJECTOR_CONFIG, ProjectorService, type ProjectorConfig } from '../projector.service';

/** Every topic a projection reads, in the order a replay reads them (a model's registry before the runs). */
const REPLAYED_TOPICS = [TOPICS.registry, TOPICS.lifecycle, TOPICS.metrics, TOPICS.deadletter];
/** A group that never commits: its pending records are a topic's whole content, the replay's total. */
const NO_GROUP = 'runlog-replay-counter';
const READ_BATCH_RECORDS = 500;
const LIVE_CATCH_UP_MS = 120_000;
/** While live is held its commits settle at once; one that keeps moving is another process of the group. */
const SETTLE_MS = 10_000;

export type ReplayState =
  'idle' | 'preparing' | 'replaying' | 'comparing' | 'swapped' | 'compared' | 'mismatch' | 'failed';

export interface TableComparison {
  table: string;
  live: Omit<TableChecksum, 'table'> | null;
  replay: Omit<TableChecksum, 'table'> | null;
  equal: boolean;
}

export interface ReplayStatus {
  state: ReplayState;
  /** The database the log is projected into; after a swap it holds the tables that were live before. */
  database: string;
  swap: boolean;
  force: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  /** The projecting itself (the rate's time): from the first record read to the end the log had when it began. */
  replaying: { startedAt: number | null; endedAt: number | null };
  records: { done: number; total: number };
  points: number;
  /** Records this build could not project (dead-lettered live too, unless an upcaster fixed them since). */
  deadLetters: number;
  recordsPerSecond: number;
  pointsPerSecond: number;
  etaSeconds: number | null;
  tables: TableComparison[];
  error: string | null;
}

export class ReplayBusyError extends Error {
  readonly code = 'replay_busy';
}

/**
 * `runlog replay`: every projection rebuilt from the log's first record into a fresh database (`<db>_replay`),
 * with the same pipeline and upcasters as the live projector, while the live tables keep serving. Then, with the
 * live projector held (its batch gate), the rebuild catches up to exactly what live has projected, every table's
 * checksum is compared with the live one, and only when all are equal (or `force`) the tables are swapped, one
 * EXCHANGE each: nothing live is dropped. The tables replaced stay in `<db>_replay` until the next replay.
 */
@Injectable()
export class ReplayService {
  private readonly logger = new Logger('replay');
  private current: ReplayStatus;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLICKHOUSE) private readonly ch: ClickHouse,
    @Inject(PROJECTOR_CONFIG) private readonly config: ProjectorConfig,
    private readonly projector: ProjectorService,
  ) {
    this.current = this.fresh({ swap: true, force: false });
    this.current.state = 'idle';
  }

  status(): ReplayStatus {
    const status = this.current;
    const { startedAt, endedAt } = status.replaying;
    const elapsed = startedAt === null ? 0 : ((endedAt ?? Date.now()) - startedAt) / 1000;
    const recordsPerSecond = elapsed > 0 ? status.records.done / elapsed : 0;
    const left = status.records.total - status.records.done;
    return {
      ...status,
      recordsPerSecond: Math.round(recordsPerSecond),
      pointsPerSecond: Math.round(elapsed > 0 ? status.points / elapsed : 0),
      etaSeconds:
        status.state === 'replaying' && recordsPerSecond > 0 ? Math.ceil(left / recordsPerSecond) : null,
      replaying: { ...status.replaying },
      tables: status.tables.map((table) => ({ ...table })),
    };
  }

  /** Starts a replay in the background; one at a time. */
  start(options: { swap: boolean; force: boolean }): ReplayStatus {
    if (this.running) throw new ReplayBusyError('a replay is already running');
    this.current = this.fresh(options);
    this.running = this.run(options)
      .catch((error: unknown) => {
        this.current.state = 'failed';
        this.current.error = describeError(error);
        this.logger.error(`replay failed: ${this.current.error}`);
      })
      .finally(() => {
        this.current.finishedAt = Date.now();
        this.running = null;
      });
    return this.status();
  }

  /** Resolves when the replay in hand has ended (for tests and shutdown). */
  async settled(): Promise<void> {
    await this.running;
  }

  private fresh(options: { swap: boolean; force: boolean }): ReplayStatus {
    return {
      state: 'preparing',
      database: `${this.ch.database}_replay`,
      ...options,
      startedAt: Date.now(),
      finishedAt: null,
      replaying: { startedAt: null, endedAt: null },
      records: { done: 0, total: 0 },
      points: 0,
      deadLetters: 0,
      recordsPerSecond: 0,
      pointsPerSecond: 0,
      etaSeconds: null,
      tables: [],
      error: null,
    };
  }

  private async run(options: { swap: boolean; force: boolean }): Promise<void> {
    const status = this.current;
    const replayCh: ClickHouse = { ...this.ch, database: status.database, close: async () => undefined };
    const live = writerFor(this.ch);
    await dropDatabase(live, status.database);
    await applyMigrations(replayCh);
    const projections = createProjections({
      ch: replayCh,
      groupId: this.config.groupId,
      maxInsertRows: this.config.maxInsertRows,
      runCacheSize: this.config.runCacheSize,
      parseRecord: this.projector.parseRecord,
      // Counted, never appended: the live projector has already said which records it could not project.
      deadLettered: async (letters) => {
        status.deadLetters += letters.length;
      },
    });
    for (const topic of REPLAYED_TOPICS) {
      status.records.total += await this.log.pendingRecords(NO_GROUP, topic);
    }
    status.state = 'replaying';
    status.replaying.startedAt = Date.now();
    const positions = new Map<string, number>();
    for (const topic of REPLAYED_TOPICS) {
      await this.projectUpTo(projections, topic, await this.log.endOffsets(topic), positions);
    }
    status.replaying.endedAt = Date.now();
    await this.waitForLive(positions);
    status.state = 'comparing';
    await this.projector.gate.exclusively(async () => {
      // Live is held: what it has projected is what its group committed (read until it stops moving).
      for (const topic of REPLAYED_TOPICS) {
        await this.projectUpTo(projections, topic, await this.settledCommits(topic), positions);
      }
      // Expired raw points leave both sides before they are compared (a mutation, waited for).
      for (const writer of [projections.writer, live]) {
        await reloadRunRawRetention(writer);
        await materializeRawRetention(writer, true);
      }
      status.tables = await this.compare(projections);
      const equal = status.tables.every((table) => table.equal);
      if (!options.swap || (!equal && !options.force)) {
        status.state = equal ? 'compared' : 'mismatch';
        return;
      }
      // Only tables both sides hold can be exchanged; one the rebuild lacks stays as it is (a forced swap says so).
      const swappable = status.tables
        .filter((table) => table.live && table.replay)
        .map((table) => table.table);
      const swapped: string[] = [];
      try {
        for (const table of swappable) {
          await exchangeTables(live, status.database, [table]);
          swapped.push(table);
        }
        await reapplyTtls(this.ch);
        await reloadRunRawRetention(live);
      } catch (error) {
        // Half a swap is worse than none: what was exchanged is exchanged back.
        await exchangeTables(live, status.database, swapped).catch(() => undefined);
        await reapplyTtls(this.ch).catch(() => undefined);
        throw error;
      } finally {
        this.projector.forgetState();
      }
      status.state = 'swapped';
      this.logger.log(`projections swapped for the rebuild (${status.records.done} records)`);
    });
  }

  /** Feeds the records of each partition below `ends` (from where the replay stands) to the projections. */
  private async projectUpTo(
    projections: Projections,
    topic: string,
    ends: Map<number, number>,
    positions: Map<string, number>,
  ): Promise<void> {
    for (const [partition, end] of ends) {
      const key = `${topic}/${partition}`;
      let from = positions.get(key) ?? 0;
      while (from < end) {
        const records = (await this.log.read(topic, partition, from, READ_BATCH_RECORDS)).filter(
          (record) => record.offset < end,
        );
        if (records.length === 0) break;
        const counts = await projections.project({ topic, partition, records, highWatermark: end - 1 });
        this.current.records.done += records.length;
        this.current.points += counts.points;
        from = records[records.length - 1].offset + 1;
      }
      positions.set(key, Math.max(from, positions.get(key) ?? 0));
    }
  }

  /** The live group's commits once they stop moving (a batch that landed just before the hold commits after it). */
  private async settledCommits(topic: string): Promise<Map<number, number>> {
    const deadline = Date.now() + SETTLE_MS;
    let previous = await this.log.committedOffsets(this.config.groupId, topic);
    for (;;) {
      if (Date.now() > deadline)
        throw new Error(`the live group's commits on ${topic} did not settle within ${SETTLE_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await this.log.committedOffsets(this.config.groupId, topic);
      if ([...next].every(([partition, offset]) => previous.get(partition) === offset)) return next;
      previous = next;
    }
  }

  /**
   * Live must have projected what the replay read before it is held, or the hold would wait on its backlog: its
   * commits reach the replay's position in every partition (new records may keep arriving: they are not waited for).
   */
  private async waitForLive(positions: Map<string, number>): Promise<void> {
    const deadline = Date.now() + LIVE_CATCH_UP_MS;
    for (;;) {
      let behind = 0;
      for (const topic of REPLAYED_TOPICS) {
        const committed = await this.log.committedOffsets(this.config.groupId, topic);
        for (const [key, position] of positions) {
          const [keyTopic, partition] = [
            key.slice(0, key.lastIndexOf('/')),
            Number(key.slice(key.lastIndexOf('/') + 1)),
          ];
          if (keyTopic === topic) behind += Math.max(0, position - (committed.get(partition) ?? 0));
        }
      }
      if (behind === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the live projection is ${behind} offsets behind what the replay read: replay again once it has caught up`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async compare(projections: Projections): Promise<TableComparison[]> {
    const liveReader = this.projector.reader;
    const [liveTables, replayTables] = await Promise.all([
      listProjectionTables(liveReader),
      listProjectionTables(projections.reader),
    ]);
    const tables = [...new Set([...liveTables, ...replayTables])].sort();
    const comparisons: TableComparison[] = [];
    for (const table of tables) {
      const live = liveTables.includes(table) ? await tableChecksum(liveReader, table) : null;
      const replay = replayTables.includes(table) ? await tableChecksum(projections.reader, table) : null;
      comparisons.push({
        table,
        live: live && { rows: live.rows, checksum: live.checksum },
        replay: replay && { rows: replay.rows, checksum: replay.checksum },
        equal:
          live !== null && replay !== null && live.rows === replay.rows && live.checksum === replay.checksum,
      });
    }
    return comparisons;
  }
}
