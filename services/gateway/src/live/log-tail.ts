import type { EventLog, LogRecord } from '../../../../libs/log/src/event-log';

export interface LogTailConfig {
  /** Read in this order in every cycle. */
  topics: readonly string[];
  pollIntervalMs: number;
  /** Records per read, per topic: a metrics record may hold 250,000 points, so a read must stay small. */
  maxRecordsPerRead: (topic: string) => number;
}

export interface LogTailDeps {
  log: EventLog;
  /** False: nobody listens to this topic now, and the tail steps over its records without reading them. */
  wants: (topic: string) => boolean;
  onRecords: (records: LogRecord[]) => void;
  /** After every topic was read up to the ends taken in this cycle. */
  onCycleEnd: () => void;
  onError: (error: unknown) => void;
}

const RETRY_AFTER_ERROR_MS = 1_000;

/**
 * Follows topics from their end at start() by polling `read` from its own positions: no consumer group, so it
 * commits nothing, shares nothing with other gateways, and holds the projector back in nothing. Each cycle takes
 * every topic's end offsets, in order, and reads up to them a few records at a time, handing each read on before
 * the next: memory is one read's records, whatever the lag.
 */
export class LogTail {
  private readonly positions = new Map<string, Map<number, number>>();
  private stopped = true;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private starting: Promise<void> | null = null;
  private cycles = 0;

  constructor(
    private readonly config: LogTailConfig,
    private readonly deps: LogTailDeps,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  /** Positions of each topic's partitions: where the next read starts. */
  stats(): { cycles: number; positions: Record<string, Record<number, number>> } {
    const positions: Record<string, Record<number, number>> = {};
    for (const [topic, partitions] of this.positions) positions[topic] = Object.fromEntries(partitions);
    return { cycles: this.cycles, positions };
  }

  /** Resolves once the tail knows where the topics end: what is appended after that is delivered. */
  start(): Promise<void> {
    this.starting ??= this.begin().finally(() => (this.starting = null));
    return this.starting;
  }

  private async begin(): Promise<void> {
    if (!this.stopped) return;
    // A stop still under way: its loop must be gone before another one starts.
    await this.loop;
    for (const topic of this.config.topics) this.positions.set(topic, await this.deps.log.endOffsets(topic));
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const loop = this.loop;
    await loop;
    if (this.loop === loop) this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let pause = this.config.pollIntervalMs;
      try {
        for (const topic of this.config.topics) await this.readTopic(topic);
        this.cycles += 1;
        this.deps.onCycleEnd();
      } catch (error) {
        this.deps.onError(error);
        pause = RETRY_AFTER_ERROR_MS;
      }
      await this.sleep(pause);
    }
  }

  private async readTopic(topic: string): Promise<void> {
    const ends = await this.deps.log.endOffsets(topic);
    const positions = this.positions.get(topic) ?? new Map<number, number>();
    this.positions.set(topic, positions);
    const max = this.config.maxRecordsPerRead(topic);
    for (const [partition, end] of ends) {
      // A partition first seen now (added to the topic) is followed from its end, like the others were.
      let position = positions.get(partition) ?? end;
      while (position < end && !this.stopped) {
        if (!this.deps.wants(topic)) {
          position = end;
          break;
        }
        const records = await this.deps.log.read(topic, partition, position, max);
        if (records.length === 0) {
          // Offsets are gapped (the embedded log numbers every topic in one sequence; Kafka has control records).
          position = end;
          break;
        }
        this.deps.onRecords(records);
        const next = records[records.length - 1].offset + 1;
        // A short read took everything the partition had below the end taken before it.
        position = records.length < max ? Math.max(end, next) : next;
      }
      positions.set(partition, position);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
