import type { EventEnvelope, NewEvent } from '../../events/src/envelope';

/** A record as read from one partition of a topic. Offsets are per (topic, partition), increasing, maybe gapped. */
export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  event: EventEnvelope;
}

/** `no_stream`: the stream must not exist yet; a number: the stream must hold exactly that many events. */
export type ExpectedVersion = 'any' | 'no_stream' | number;

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  /** Stream version (event count) after the append. */
  nextExpectedVersion: number;
  /** Events written now; events whose id the log already holds are skipped (client retries are idempotent). */
  appended: EventEnvelope[];
  duplicates: number;
  /** Log position of the last event of this append (or of the stream head when all were duplicates). */
  lastOffset: number;
  /** The partition of the topic the stream lives in (0 on the embedded log). */
  partition: number;
}

export interface EventIdOwner {
  stream: string;
  requestDigest?: string;
}

export interface StreamSlice {
  version: number;
  events: EventEnvelope[];
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: LogRecord[];
  /** Offset of the newest record in the partition when the batch was read, for lag. */
  highWatermark: number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  maxBatchRecords: number;
  /** Called per batch, in log order per partition. The group's position moves past the batch only after this resolves. */
  eachBatch: (batch: ConsumedBatch) => Promise<void>;
  onError?: (error: unknown) => void;
}

export interface Subscription {
  stop(): Promise<void>;
}

/**
 * The event log port. The embedded adapter (node:sqlite) and the Kafka adapter implement it; the contract
 * suite in libs/log/test runs against each.
 */
export interface EventLog {
  appendToStream(
    topic: string,
    stream: string,
    events: NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  readStream(stream: string): Promise<StreamSlice>;
  /** Which stream holds this event id, and the digest of the request that wrote it: null when the log has none. */
  findEventId(id: string): Promise<EventIdOwner | null>;
  /** Records of one partition from `fromOffset` (inclusive), at most `maxRecords`. */
  read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<LogRecord[]>;
  /** The offset the next record of each partition will get. */
  endOffsets(topic: string): Promise<Map<number, number>>;
  /** The next offset a group will read, per partition (0 when it has committed nothing). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  /**
   * Records of `topic` the group has yet to commit past, over its partitions. Unlike end − committed, never counts
   * other topics' records (the embedded log numbers every topic's records in one sequence). With `atMost`, counting
   * may stop there: a caller asking "more than N?" does not pay for counting a replay's millions.
   */
  pendingRecords(groupId: string, topic: string, atMost?: number): Promise<number>;
  subscribe(options: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

export class LogConcurrencyError extends Error {
  readonly code = 'concurrency_conflict';
  readonly retry = true;
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${stream} is at version ${actual}, expected ${String(expected)}`);
  }
}

/** The log cannot take more right now (too much unflushed); callers answer 503 and clients retry. */
export class LogBackpressureError extends Error {
  readonly code = 'log_backpressure';
  readonly retry = true;
}

/**
 * The log's engine did not answer (a broker down, a partition without a leader). Nothing was acknowledged; the
 * append may or may not have landed, so callers answer 503 and clients retry with the same event ids, which the log
 * recognises once it is back.
 */
export class LogUnavailableError extends Error {
  readonly code = 'log_unavailable';
  readonly retry = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An event id is an idempotency key: the log already holds it for another request (another body or route, the
 * digests differ) or in another stream. Never retried: the client must use a new id for a new request.
 */
export class IdempotencyConflictError extends Error {
  readonly code = 'idempotency_conflict';
  readonly retry = false;
  readonly field = 'eventId';
  constructor(
    readonly eventId: string,
    reason: string,
  ) {
    super(`eventId ${eventId} was already used ${reason}; a new request needs a new eventId`);
  }
}

export const EVENT_LOG = Symbol('EVENT_LOG');
