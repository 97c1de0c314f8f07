import { Logger } from '@nestjs/common';
import { TOPICS } from '../../events/src/envelope';
import type { EventLog } from '../../log/src/event-log';
import { applyAccessEvent, type TokenRecord } from './access-events';

export interface AccessDirectoryOptions {
  /** How often the access topic is read for tokens issued or revoked by any process: the revocation delay. */
  pollMs: number;
}

const READ_CHUNK = 1000;

/**
 * Every process's view of who holds which token, folded from the access topic of the log (the truth; no process
 * keeps its own). It reads the topic to its end before the process listens, then every `pollMs`; a revocation
 * made by any process takes effect here within one poll and one read. A token id it does not know yet (issued a
 * moment ago by another process) makes it read again at once before the token is refused; those reads are
 * coalesced, so unknown ids cannot make it read the log more than back to back.
 */
export class AccessDirectory {
  private readonly logger = new Logger('AccessDirectory');
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly positions = new Map<number, number>();
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastReadAt = 0;
  private readonly revocationListeners = new Set<(tokenIds: ReadonlySet<string>) => void>();

  constructor(
    private readonly log: EventLog,
    private readonly options: AccessDirectoryOptions,
  ) {}

  async start(): Promise<void> {
    await this.catchUp();
    this.timer = setInterval(() => {
      this.catchUp().catch((error: unknown) => {
        // The last view stays in force while the log is away; the next poll tries again.
        this.logger.warn(
          `could not read the access topic: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    }, this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  token(tokenId: string): TokenRecord | undefined {
    return this.tokens.get(tokenId);
  }

  list(): TokenRecord[] {
    return [...this.tokens.values()].sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  }

  /** Called with the ids of tokens revoked by each read that saw some: open connections are closed on it. */
  onRevoked(listener: (tokenIds: ReadonlySet<string>) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  /** When the topic was last read to its end (ms since the epoch), for health and tests. */
  get freshAt(): number {
    return this.lastReadAt;
  }

  /** Reads the topic to its end; a call while a read runs waits for one more read after it (never more queued). */
  catchUp(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) {
      this.running = this.readToEnd().finally(() => (this.running = null));
      return this.running;
    }
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.catchUp();
      });
    return this.queued;
  }

  private async readToEnd(): Promise<void> {
    const revoked = new Set<string>();
    const ends = await this.log.endOffsets(TOPICS.access);
    for (const [partition, end] of ends) {
      let from = this.positions.get(partition) ?? 0;
      while (from < end) {
        const records = await this.log.read(TOPICS.access, partition, from, READ_CHUNK);
        for (const record of records) {
          if (applyAccessEvent(this.tokens, record.event) === 'skipped') {
            this.logger.debug(`skipped access record ${record.event.type} at ${partition}:${record.offset}`);
          } else if (record.event.type === 'token.revoked') {
            revoked.add((record.event.payload as { tokenId: string }).tokenId);
          }
        }
        const next = records.length > 0 ? records[records.length - 1].offset + 1 : from;
        // A short read reached the end (on the embedded log the end also moves with other topics' records).
        from = records.length < READ_CHUNK ? Math.max(next, end) : next;
      }
      this.positions.set(partition, from);
    }
    this.lastReadAt = Date.now();
    if (revoked.size > 0) for (const listener of this.revocationListeners) listener(revoked);
  }
}
