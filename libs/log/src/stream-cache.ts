import type { EventEnvelope } from '../../events/src/envelope';

interface CachedStream {
  events: EventEnvelope[];
  bytes: number;
}

/**
 * An LRU cache of whole streams' envelopes, bounded by their estimated JSON bytes. A stream larger than a 64th of
 * the bound (a long metric stream) is never cached, so one stream cannot flush all the others.
 */
export class StreamCache {
  private readonly entries = new Map<string, CachedStream>();
  private bytes = 0;

  constructor(private readonly limitBytes: number) {}

  /** The first `version` events of the stream, if the cache holds at least that many (and marks it recent). */
  get(stream: string, version: number): EventEnvelope[] | undefined {
    const entry = this.entries.get(stream);
    if (!entry || entry.events.length < version) return undefined;
    // Map iteration order is insertion order: re-inserting makes the entry the most recently used.
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    return entry.events.slice(0, version);
  }

  /** Caches a whole stream as fetched from the log. */
  put(stream: string, events: EventEnvelope[]): void {
    const bytes = events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
    if (bytes > this.limitBytes / 64) return;
    this.drop(stream);
    this.entries.set(stream, { events: [...events], bytes });
    this.bytes += bytes;
    this.evict();
  }

  /** Adds appended events to a cached stream, or caches a new stream; `before` is its version before them. */
  extend(stream: string, before: number, appended: { envelope: EventEnvelope; bytes: number }[]): void {
    let cached = this.entries.get(stream);
    if (cached && cached.events.length !== before) {
      // Filled by a read that started before an earlier append: extending it would leave a hole.
      this.drop(stream);
      cached = undefined;
    }
    if (!cached && before !== 0) return; // not cached: a later read fetches it whole
    const entry = cached ?? { events: [], bytes: 0 };
    for (const item of appended) {
      entry.events.push(item.envelope);
      entry.bytes += item.bytes;
    }
    this.bytes += entry.bytes - (cached?.bytes ?? 0);
    this.entries.delete(stream);
    if (entry.bytes > this.limitBytes / 64) {
      this.bytes -= entry.bytes;
      return;
    }
    this.entries.set(stream, entry);
    this.evict();
  }

  drop(stream: string): void {
    const entry = this.entries.get(stream);
    if (!entry) return;
    this.entries.delete(stream);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    for (const [stream, entry] of this.entries) {
      if (this.bytes <= this.limitBytes) return;
      this.entries.delete(stream);
      this.bytes -= entry.bytes;
    }
  }
}
