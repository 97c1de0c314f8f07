import type { EventLog } from './event-log';
import type { WritePosition } from './consistency-token';

interface Waiter {
  positions: readonly WritePosition[];
  settle: (reached: boolean) => void;
  timer: NodeJS.Timeout;
}

const POLL_MS = 20;

/**
 * Read-your-writes: resolves once the projector group has committed past every position (its writes are in
 * ClickHouse), or false at the deadline. One poll of the committed offsets serves every waiting request, and only
 * while some request waits; at most maxWaiters wait at once.
 */
export class ProjectionWatermarks {
  private readonly waiters = new Set<Waiter>();
  private polling = false;

  constructor(
    private readonly log: EventLog,
    private readonly groupId: string,
    readonly maxWaiters = 1_000,
  ) {}

  get waiting(): number {
    return this.waiters.size;
  }

  waitFor(positions: readonly WritePosition[], timeoutMs: number): Promise<boolean> {
    return new Promise((settle) => {
      // Its own timer: the deadline holds even while a poll of the committed offsets is slow.
      const waiter: Waiter = {
        positions,
        settle,
        timer: setTimeout(() => {
          if (this.waiters.delete(waiter)) settle(false);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
      if (!this.polling) void this.poll();
    });
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.waiters.size > 0) {
        const topics = new Set([...this.waiters].flatMap((waiter) => waiter.positions.map((p) => p.topic)));
        const committed = new Map<string, Map<number, number>>();
        for (const topic of topics) {
          try {
            committed.set(topic, await this.log.committedOffsets(this.groupId, topic));
          } catch {
            // Unreadable for now: its waiters keep waiting, until their own deadline at most.
          }
        }
        for (const waiter of [...this.waiters]) {
          const passed = waiter.positions.every(
            (p) => (committed.get(p.topic)?.get(p.partition) ?? 0) > p.offset,
          );
          if (passed) {
            this.waiters.delete(waiter);
            clearTimeout(waiter.timer);
            waiter.settle(true);
          }
        }
        if (this.waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      this.polling = false;
    }
  }
}
