import { createHash } from 'node:crypto';
import { v7 as uuidv7, validate as uuidValidate, version as uuidVersion } from 'uuid';

/** Topics of the log; DESIGN.md says what each keeps and for how long. */
export const TOPICS = {
  lifecycle: 'runlog.lifecycle',
  metrics: 'runlog.metrics',
  registry: 'runlog.registry',
  deadletter: 'runlog.deadletter',
  /** Who holds which access: API tokens issued and revoked (libs/access), kept forever for auditors. */
  access: 'runlog.access',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** An event as the log stores it. `hash` chains each stream: sha256 of the canonical envelope without `hash`. */
export interface EventEnvelope<TType extends string = string, TPayload = unknown> {
  id: string;
  type: TType;
  v: number;
  stream: string;
  workspace: string;
  actor: string;
  occurredAt: string;
  recordedAt: string;
  payload: TPayload;
  prevHash: string | null;
  hash: string;
  /**
   * sha256 of the canonical request that made this event (its route, target and body without the eventId). An
   * eventId is an idempotency key: a retry carries the same request and is acknowledged; the same id with another
   * request is refused. Absent on events written before it existed, and on events no request made.
   */
  requestDigest?: string;
  /**
   * The user a principal allowed to act for others (a service account) named in `x-runlog-actor`; `actor` is
   * always the authenticated principal. Absent on every other event, which hash as they did before it existed.
   */
  onBehalfOf?: string;
}

/** What a writer hands to the log: the log stamps `recordedAt`, `prevHash` and `hash`. */
export type NewEvent<TType extends string = string, TPayload = unknown> = Omit<
  EventEnvelope<TType, TPayload>,
  'stream' | 'recordedAt' | 'prevHash' | 'hash'
>;

export function newEventId(): string {
  return uuidv7();
}

export function isUuidV7(value: string): boolean {
  return uuidValidate(value) && uuidVersion(value) === 7;
}

export function isUuid(value: string): boolean {
  return uuidValidate(value);
}

/**
 * RFC 8785 (JCS) canonical JSON. Same output as the `canonicalize` package (a unit spec holds them equal), but
 * arrays of finite numbers, the bulk of a metric batch, go through one native JSON.stringify: the hash of every
 * appended event is made here, and the generic walk was the embedded log's main cost.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError(`cannot canonicalize ${value}`);
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`cannot canonicalize a ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) {
    if (isFiniteNumberArray(value)) return JSON.stringify(value);
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  const entries: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    entries.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${entries.join(',')}}`;
}

function isFiniteNumberArray(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const item = values[i];
    if (typeof item !== 'number' || !Number.isFinite(item)) return false;
  }
  return true;
}

/**
 * The fingerprint an eventId is compared by: what was asked, of what, with which body (its eventId left out). Not a
 * stored format anyone recomputes elsewhere, so it is made for speed: arrays of finite numbers (a metric batch's
 * columns) are hashed as their float64 bytes, the rest as canonical JSON, each piece tagged so none can pass for
 * another. Text would cost as much again as the envelope's own hash (~0.5 µs a point).
 */
export function requestDigest(operation: string, target: string, body: object): string {
  const rest: Record<string, unknown> = { ...body };
  delete rest.eventId;
  const sink = new DigestSink();
  sink.text(`${JSON.stringify(operation)}\n${JSON.stringify(target)}\n`);
  digestValue(sink, rest);
  return sink.digest();
}

/**
 * The digest's bytes gathered into one buffer and hashed in large updates: sha256 of a stream does not depend on
 * how it is cut, and a metric batch of 200 keys made ~2,000 small `hash.update` calls (10% of the ingest thread
 * under the sustained bench).
 */
class DigestSink {
  private readonly hash = createHash('sha256');
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;

  text(value: string): void {
    this.reserve(value.length * 3);
    this.used += this.buffer.write(value, this.used, 'utf8');
  }

  /** float64, little-endian: the bytes a Float64Array holds on every platform Node runs on. */
  numbers(values: readonly number[]): void {
    this.reserve(values.length * 8);
    for (let i = 0; i < values.length; i++) this.used = this.buffer.writeDoubleLE(values[i], this.used);
  }

  digest(): string {
    this.drain();
    return this.hash.digest('hex');
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    this.drain();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  private drain(): void {
    if (this.used > 0) this.hash.update(this.buffer.subarray(0, this.used));
    this.used = 0;
  }
}

function digestValue(sink: DigestSink, value: unknown): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && isFiniteNumberArray(value)) {
      sink.text(`f${value.length}:`);
      sink.numbers(value as number[]);
      return;
    }
    sink.text(`[${value.length}:`);
    for (const item of value) digestValue(sink, item);
    sink.text(']');
    return;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    sink.text(`{${keys.length}:`);
    for (const key of keys.sort()) {
      sink.text(`${JSON.stringify(key)}=`);
      digestValue(sink, (value as Record<string, unknown>)[key]);
    }
    sink.text('}');
    return;
  }
  sink.text(`${canonicalJson(value)};`);
}

export function hashEnvelope(envelope: Omit<EventEnvelope, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(envelope)).digest('hex');
}

/** Stamps a new event into its stream: the only place an envelope's hash is made. */
export function sealEvent(
  event: NewEvent,
  stream: string,
  prevHash: string | null,
  recordedAt: string,
): EventEnvelope {
  return sealEventWithText(event, stream, prevHash, recordedAt).envelope;
}

/** A sealed envelope and its JSON text: the canonical JSON of the whole envelope, `hash` included. */
export interface SealedEvent {
  envelope: EventEnvelope;
  text: string;
}

/**
 * Seals and serialises in one pass: the text a log stores is the canonical JSON the hash was made of, with the
 * hash put in its sorted place, so a metric batch's numbers are printed once instead of once more by
 * JSON.stringify (the embedded log's second largest cost under sustained load).
 */
export function sealEventWithText(
  event: NewEvent,
  stream: string,
  prevHash: string | null,
  recordedAt: string,
): SealedEvent {
  // Named fields, not a spread: an input carrying more (a stored envelope being re-sealed keeps its old `hash`)
  // would otherwise put those extra fields into the hashed body, and the chain would never verify.
  const { id, type, v, workspace, actor, occurredAt, payload, requestDigest, onBehalfOf } = event;
  const unsealed = { id, type, v, stream, workspace, actor, occurredAt, recordedAt, payload, prevHash };
  // Left out when absent, so an envelope without them hashes exactly as it did before the fields existed.
  const body = {
    ...unsealed,
    ...(requestDigest === undefined ? {} : { requestDigest }),
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
  };
  const canonical = canonicalJson(body);
  const hash = createHash('sha256').update(canonical).digest('hex');
  const envelope: EventEnvelope = { ...body, hash };
  return { envelope, text: insertHash(canonical, actor, hash) ?? canonicalJson(envelope) };
}

/** `actor` is the first key in sorted order and `hash` the next, so the hash goes right after the actor's entry. */
function insertHash(canonical: string, actor: unknown, hash: string): string | null {
  if (typeof actor !== 'string') return null;
  const head = `{"actor":${JSON.stringify(actor)}`;
  if (!canonical.startsWith(head)) return null;
  return `${head},"hash":"${hash}"${canonical.slice(head.length)}`;
}

export interface ChainBreak {
  index: number;
  id: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch';
}

/**
 * Checks one stream's events, in order, against their hash chain. A window of a stream (`startsStream` false) links
 * its first event to one before the window, which is not checked.
 */
export function verifyStreamChain(events: readonly EventEnvelope[], startsStream = true): ChainBreak | null {
  let prev: string | null | undefined = startsStream ? null : undefined;
  for (const [index, event] of events.entries()) {
    if (prev !== undefined && event.prevHash !== prev)
      return { index, id: event.id, reason: 'prev_hash_mismatch' };
    const { hash, ...rest } = event;
    if (hashEnvelope(rest) !== hash) return { index, id: event.id, reason: 'hash_mismatch' };
    prev = hash;
  }
  return null;
}
