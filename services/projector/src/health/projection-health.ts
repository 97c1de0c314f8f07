import { TOPICS } from '../../../../libs/events/src/envelope';
import type { EventLog } from '../../../../libs/log/src/event-log';
import { groupLag, type PartitionLag } from '../../../../libs/log/src/group-lag';
import { countOpenDeadLetters, type ClickhouseReader } from '../../../../libs/store/src';

export type TopicLag = PartitionLag;

export interface ProjectionReport {
  lag: TopicLag[];
  /** Open dead letters per topic; null where this process has no ClickHouse to ask. */
  deadLetters: Record<string, number> | null;
  /** The longest time a partition's position has not moved while it had something to read. */
  stalledForMs: number;
  stalled: boolean;
  degraded: boolean;
}

export const DEFAULT_STALL_MS = 60_000;

/**
 * The projection as the log and the dead_letters table see it, whichever process asks (a gateway without the
 * projector role too). "Has not advanced" is observed here: the committed offsets are compared with those of the
 * previous report, and the clock starts when this process first saw them, so a fresh process never reports a stall.
 */
export class ProjectionHealth {
  /** Per topic/partition: the committed offset last seen, and when it last moved (or had nothing to read). */
  private readonly partitions = new Map<string, { committed: number; advancedAt: number }>();
  private readonly startedAt: number;

  constructor(
    private readonly deps: {
      log: EventLog;
      groupId: string;
      /** Absent where this process has no ClickHouse. */
      reader?: ClickhouseReader;
      stallMs: number;
      now?: () => number;
    },
  ) {
    this.startedAt = this.now();
  }

  /**
   * Stalled when any one partition with lag has not moved for the stall time: one partition blocked behind a record
   * must show even while the others advance.
   */
  async report(): Promise<ProjectionReport> {
    const lag = await this.lag();
    const deadLetters = this.deps.reader
      ? Object.fromEntries(await countOpenDeadLetters(this.deps.reader))
      : null;
    const now = this.now();
    let stalledForMs = 0;
    for (const entry of lag) {
      const key = `${entry.topic}/${entry.partition}`;
      const seen = this.partitions.get(key) ?? {
        committed: entry.committedOffset,
        advancedAt: this.startedAt,
      };
      if (entry.committedOffset !== seen.committed || entry.lag === 0) seen.advancedAt = now;
      seen.committed = entry.committedOffset;
      this.partitions.set(key, seen);
      if (entry.lag > 0) stalledForMs = Math.max(stalledForMs, now - seen.advancedAt);
    }
    const stalled = stalledForMs > this.deps.stallMs;
    const openDeadLetters = Object.values(deadLetters ?? {}).some((count) => count > 0);
    return { lag, deadLetters, stalledForMs, stalled, degraded: stalled || openDeadLetters };
  }

  private lag(): Promise<TopicLag[]> {
    return groupLag(this.deps.log, this.deps.groupId, [TOPICS.lifecycle, TOPICS.metrics, TOPICS.deadletter]);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
