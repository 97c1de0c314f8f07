import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { sealEventWithText, type EventEnvelope, type NewEvent } from '../../events/src/envelope';
import {
  LogBackpressureError,
  LogConcurrencyError,
  type AppendOptions,
  type AppendResult,
  type EventIdOwner,
  type EventLog,
  type ExpectedVersion,
  type LogRecord,
  type StreamSlice,
  type SubscribeOptions,
  type Subscription,
} from './event-log';
import { checkDuplicate, validateAppend, versionMatches } from './append-rules';

export interface SqliteEventLogConfig {
  /** Database file; its folder is created when missing. */
  path: string;
  /** Bound on the size of appends waiting for the next group commit (also the largest single append). */
  maxPendingBytes?: number;
  /** How often an idle subscription looks for records written by another process on the same file. */
  pollIntervalMs?: number;
  /** Clock for `recordedAt`; tests pin it. */
  now?: () => Date;
}

export interface SqliteEventLogStats {
  /** Committed group-commit transactions (one fsync each). */
  transactions: number;
  /** Appends that succeeded, including all-duplicate retries. */
  appends: number;
  events: number;
  duplicates: number;
}

/** The only partition of every topic: the embedded log is a single ordered file. */
const PARTITION = 0;
const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;
const DEFAULT_POLL_INTERVAL_MS = 200;
/** Another process on the same file holds the write lock only for one group commit, so a few seconds is generous. */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * Sealing costs about 0.4 ms of CPU per 20 KB event and the event loop is blocked while a transaction is written,
 * so a huge queue is cut into transactions of this size (~0.1 s each here) to let other work run between them.
 * Well above what 50 concurrent appenders queue per turn, so it does not cost group-commit efficiency.
 */
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
const RETRY_BACKOFF_MS = 500;
const MAX_RETRY_BACKOFF_MS = 5_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    "offset" INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    stream TEXT NOT NULL,
    -- the stream's version once this event is in it: 1 for the first event
    stream_version INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    UNIQUE (stream, stream_version)
  );
  CREATE INDEX IF NOT EXISTS events_topic_offset ON events (topic, "offset");
  CREATE TABLE IF NOT EXISTS streams (
    stream TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    last_hash TEXT
  );
  CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
  );
`;

interface PendingAppend {
  topic: string;
  stream: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
  bytes: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

// Row shapes: the schema above guarantees the column types, so the casts below only name them.
interface HeadRow {
  version: number;
  last_hash: string | null;
}
interface RecordRow {
  offset: number;
  stream: string;
  body: string;
}

interface Statements {
  begin: StatementSync;
  commit: StatementSync;
  rollback: StatementSync;
  savepoint: StatementSync;
  release: StatementSync;
  rollbackToSavepoint: StatementSync;
  streamHead: StatementSync;
  upsertStreamHead: StatementSync;
  streamOfId: StatementSync;
  insertEvent: StatementSync;
  offsetOfVersion: StatementSync;
  readStream: StatementSync;
  readTopic: StatementSync;
  lastOffset: StatementSync;
  countFrom: StatementSync;
  committedOffset: StatementSync;
  commitOffset: StatementSync;
}

interface LoopControl {
  stopped: boolean;
  /** Wakes whatever the loops are sleeping on, so stop() does not wait out a poll or a backoff. */
  wakers: Set<() => void>;
}

/**
 * The embedded EventLog: one node:sqlite file in WAL mode with synchronous=FULL, one partition per topic.
 *
 * Appends are group-committed: every append issued during one turn of the event loop is written by a single
 * transaction on the next turn (several, past MAX_TRANSACTION_BYTES), and each promise settles only after that
 * COMMIT returned, so an acknowledged append is on disk. Offsets are the table's global rowid: increasing within
 * a topic, with gaps where other topics' records sit.
 *
 * Several processes may append to the same file (SQLite serialises the writers and each append reads the stream
 * head inside its transaction); a consumer group, though, must be consumed by one subscription at a time.
 */
export class SqliteEventLog implements EventLog {
  private readonly statements: Statements;
  private readonly maxPendingBytes: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => Date;
  /** Tells idle subscription loops in this process that a topic got records, so they need not wait for a poll. */
  private readonly appendedTopics = new EventEmitter();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private queue: PendingAppend[] = [];
  private pendingBytes = 0;
  private flushHandle: NodeJS.Immediate | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly counters: SqliteEventLogStats = { transactions: 0, appends: 0, events: 0, duplicates: 0 };

  private constructor(
    private readonly db: DatabaseSync,
    config: SqliteEventLogConfig,
  ) {
    this.maxPendingBytes = config.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.pollIntervalMs = config.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.now = config.now ?? (() => new Date());
    // One listener per idle loop and topic; the default cap of 10 would only produce false leak warnings.
    this.appendedTopics.setMaxListeners(0);
    this.statements = prepareStatements(db);
  }

  static open(config: SqliteEventLogConfig): SqliteEventLog {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const db = new DatabaseSync(config.path);
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec('PRAGMA journal_mode = WAL');
      // FULL syncs the WAL on every commit: an acknowledged append survives power loss, not just a crash.
      db.exec('PRAGMA synchronous = FULL');
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
      return new SqliteEventLog(db, config);
    } catch (error) {
      if (db.isOpen) db.close();
      throw error;
    }
  }

  stats(): SqliteEventLogStats {
    return { ...this.counters };
  }

  /**
   * Events are sealed when their transaction runs, on a later turn: the caller must not change them until the
   * promise settled. They are not copied, to keep a deep copy of every metric batch off the ingest hot path.
   */
  appendToStream(
    topic: string,
    stream: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    const expectedVersion = options.expectedVersion ?? 'any';
    const invalid = validateAppend(topic, stream, events, expectedVersion);
    if (invalid) return Promise.reject(invalid);
    let bytes: number;
    try {
      bytes = estimateJsonBytes(events);
    } catch (error) {
      // Only a cyclic or absurdly deep value gets here; it could not be serialised either.
      return Promise.reject(error);
    }
    if (this.pendingBytes + bytes > this.maxPendingBytes) {
      return Promise.reject(
        new LogBackpressureError(
          `log has ${this.pendingBytes} bytes waiting to be written; an append of ${bytes} would exceed ${this.maxPendingBytes}`,
        ),
      );
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ topic, stream, events, expectedVersion, bytes, resolve, reject });
      this.pendingBytes += bytes;
      // setImmediate, not a microtask: every append issued until the event loop turns joins the same commit.
      this.flushHandle ??= setImmediate(() => this.flush());
    });
  }

  async readStream(stream: string): Promise<StreamSlice> {
    this.assertOpen();
    const rows = this.statements.readStream.all(stream) as unknown as { body: string }[];
    const events = rows.map((row) => parseEnvelope(row.body));
    // The stream's versions are 1..n without holes, so the count is the version; one statement is one snapshot.
    return { version: events.length, events };
  }

  async findEventId(id: string): Promise<EventIdOwner | null> {
    this.assertOpen();
    const row = this.statements.streamOfId.get(id) as
      { stream: string; request_digest: string | null } | undefined;
    if (!row) return null;
    return row.request_digest
      ? { stream: row.stream, requestDigest: row.request_digest }
      : { stream: row.stream };
  }

  async read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<LogRecord[]> {
    this.assertOpen();
    assertPartition(partition);
    return this.readRecords(topic, fromOffset, maxRecords);
  }

  /**
   * Offsets are global to the file, so the next record of any topic gets (largest offset in the file) + 1; this
   * is exactly "the offset the next record will get" and a valid exclusive end for reading. A per-topic maximum
   * would be a valid bound too but would understate the next offset. The cost is that the end of a topic also
   * moves when another topic is appended to; subscriptions commit past such gaps once they are caught up, so a
   * caught-up group still has committed == end.
   */
  async endOffsets(_topic: string): Promise<Map<number, number>> {
    this.assertOpen();
    return new Map([[PARTITION, this.endOffset()]]);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    this.assertOpen();
    return new Map([[PARTITION, this.committedOffset(groupId, topic)]]);
  }

  async pendingRecords(groupId: string, topic: string, atMost = Number.MAX_SAFE_INTEGER): Promise<number> {
    this.assertOpen();
    const from = this.committedOffset(groupId, topic);
    const row = this.statements.countFrom.get(topic, from, atMost) as { pending: number };
    return row.pending;
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.assertOpen();
    if (!Number.isInteger(options.maxBatchRecords) || options.maxBatchRecords < 1) {
      throw new RangeError(`maxBatchRecords must be a positive integer, got ${options.maxBatchRecords}`);
    }
    const control: LoopControl = { stopped: false, wakers: new Set() };
    const topics = [...new Set(options.topics)];
    // Topics are independent loops: a slow or failing handler on one topic does not hold back the others.
    const loops = topics.map((topic) => this.consumeTopic(options, topic, control));
    const subscription = new SqliteSubscription(control, loops, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Subscriptions first: a batch still being handled may append (a dead letter, say) and must be able to.
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.closed = true;
    while (this.queue.length > 0) this.flush();
    this.db.close();
  }

  /**
   * Writes the queued appends in one transaction; runs synchronously, so appends made meanwhile wait for the next.
   * A queue larger than MAX_TRANSACTION_BYTES is written by several transactions, one per event-loop turn.
   */
  private flush(): void {
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flushHandle = null;
    if (this.queue.length === 0) return;
    let take = 0;
    let bytes = 0;
    while (
      take < this.queue.length &&
      (take === 0 || bytes + this.queue[take].bytes <= MAX_TRANSACTION_BYTES)
    ) {
      bytes += this.queue[take].bytes;
      take += 1;
    }
    const batch = this.queue.splice(0, take);
    this.pendingBytes -= bytes;
    if (this.queue.length > 0) this.flushHandle = setImmediate(() => this.flush());
    const s = this.statements;
    const outcomes: Outcome[] = [];
    try {
      s.begin.run();
      for (const append of batch) {
        // A savepoint per append: one append failing its expected version undoes only its own rows.
        s.savepoint.run();
        try {
          outcomes.push({ ok: true, result: this.applyAppend(append) });
          s.release.run();
        } catch (error) {
          s.rollbackToSavepoint.run();
          s.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      s.commit.run();
    } catch (error) {
      // The transaction as a whole failed (disk full, I/O error, lock timeout): nothing of it is durable.
      if (this.db.isTransaction) s.rollback.run();
      for (const append of batch) append.reject(error);
      return;
    }
    this.counters.transactions += 1;
    const touchedTopics = new Set<string>();
    batch.forEach((append, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) {
        this.counters.appends += 1;
        this.counters.events += outcome.result.appended.length;
        this.counters.duplicates += outcome.result.duplicates;
        if (outcome.result.appended.length > 0) touchedTopics.add(append.topic);
        append.resolve(outcome.result);
      } else {
        append.reject(outcome.error);
      }
    });
    for (const topic of touchedTopics) this.appendedTopics.emit(topicEvent(topic));
  }

  /** One append inside the open transaction; throws to have its savepoint rolled back. */
  private applyAppend(append: PendingAppend): AppendResult {
    const s = this.statements;
    const { topic, stream, events, expectedVersion } = append;
    // Read from the database, not a cache: an earlier append of this transaction, or another process, may have
    // moved the head, and this connection sees both.
    const head = s.streamHead.get(stream) as HeadRow | undefined;
    let version = head?.version ?? 0;
    let prevHash = head?.last_hash ?? null;

    const fresh: NewEvent[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (const event of events) {
      if (seen.has(event.id)) {
        duplicates += 1;
        continue;
      }
      seen.add(event.id);
      const existing = s.streamOfId.get(event.id) as
        { stream: string; request_digest: string | null } | undefined;
      if (existing === undefined) {
        fresh.push(event);
      } else {
        // A retry targets the same stream with the same request; anything else reusing the id is refused, since
        // skipping the event would silently lose it.
        checkDuplicate(event, stream, { stream: existing.stream, requestDigest: existing.request_digest });
        duplicates += 1;
      }
    }

    // A retried append whose first attempt did commit finds all its events present. Its expected version is
    // stale by construction (the first attempt moved the stream), so it succeeds with the current head instead
    // of conflicting: that is what makes client retries idempotent. A partial overlap is a new append and is
    // checked like one.
    const allDuplicates = events.length > 0 && fresh.length === 0;
    if (!allDuplicates && !versionMatches(expectedVersion, version)) {
      throw new LogConcurrencyError(stream, expectedVersion, version);
    }
    if (fresh.length === 0) {
      return {
        nextExpectedVersion: version,
        appended: [],
        duplicates,
        lastOffset: this.offsetOfVersion(stream, version),
        partition: PARTITION,
      };
    }

    const recordedAt = this.now().toISOString();
    const appended: EventEnvelope[] = [];
    let lastOffset = -1;
    for (const event of fresh) {
      const { envelope: sealed, text } = sealEventWithText(event, stream, prevHash, recordedAt);
      version += 1;
      const info = s.insertEvent.run(topic, stream, version, sealed.id, text);
      lastOffset = Number(info.lastInsertRowid);
      prevHash = sealed.hash;
      appended.push(sealed);
    }
    s.upsertStreamHead.run(stream, version, prevHash);
    return { nextExpectedVersion: version, appended, duplicates, lastOffset, partition: PARTITION };
  }

  private async consumeTopic(options: SubscribeOptions, topic: string, control: LoopControl): Promise<void> {
    const { groupId, maxBatchRecords } = options;
    let failures = 0;
    let position: number | null = null;
    // Start after subscribe() returned, so a handler may already refer to the subscription it belongs to.
    await Promise.resolve();
    while (!control.stopped) {
      try {
        position ??= this.committedOffset(groupId, topic);
        // The end is taken before the read, so every record of this topic below it is visible to the read.
        const end = this.endOffset();
        const records = this.readRecords(topic, position, maxBatchRecords);
        if (records.length === 0) {
          // Caught up: step over offsets other topics used, so that committed == end for a group that is done.
          if (end > position) position = this.commit(groupId, topic, end);
          failures = 0;
          await this.sleep(control, this.pollIntervalMs, topic);
          continue;
        }
        await options.eachBatch({ topic, partition: PARTITION, records, highWatermark: end });
        const last = records[records.length - 1].offset + 1;
        // A short batch read everything this topic had below `end`, so the position may move to `end` at once.
        position = this.commit(groupId, topic, records.length < maxBatchRecords ? Math.max(end, last) : last);
        failures = 0;
      } catch (error) {
        // Retry from the last durable position: the failed batch is delivered again, never skipped.
        position = null;
        failures += 1;
        options.onError?.(error);
        if (this.closed) return;
        await this.sleep(control, Math.min(RETRY_BACKOFF_MS * 2 ** (failures - 1), MAX_RETRY_BACKOFF_MS));
      }
    }
  }

  /** Resolves after `ms`, on stop(), or (given a topic) as soon as this process commits records to it. */
  private sleep(control: LoopControl, ms: number, topic?: string): Promise<void> {
    if (control.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (topic !== undefined) this.appendedTopics.off(topicEvent(topic), wake);
        control.wakers.delete(wake);
        resolve();
      };
      // A referenced timer: a running subscription keeps the process alive, as a Kafka consumer's socket would;
      // stop() clears it through the waker.
      const timer = setTimeout(wake, ms);
      if (topic !== undefined) this.appendedTopics.on(topicEvent(topic), wake);
      control.wakers.add(wake);
    });
  }

  private readRecords(topic: string, fromOffset: number, maxRecords: number): LogRecord[] {
    if (!Number.isInteger(fromOffset) || fromOffset < 0) {
      throw new RangeError(`fromOffset must be a non-negative integer, got ${fromOffset}`);
    }
    if (!Number.isInteger(maxRecords) || maxRecords < 0) {
      throw new RangeError(`maxRecords must be a non-negative integer, got ${maxRecords}`);
    }
    if (maxRecords === 0) return [];
    const rows = this.statements.readTopic.all(topic, fromOffset, maxRecords) as unknown as RecordRow[];
    return rows.map((row) => ({
      topic,
      partition: PARTITION,
      offset: row.offset,
      key: row.stream,
      event: parseEnvelope(row.body),
    }));
  }

  private endOffset(): number {
    const row = this.statements.lastOffset.get() as { last: number | null } | undefined;
    return (row?.last ?? -1) + 1;
  }

  private committedOffset(groupId: string, topic: string): number {
    const row = this.statements.committedOffset.get(groupId, topic, PARTITION) as
      { next_offset: number } | undefined;
    return row?.next_offset ?? 0;
  }

  /** Stores a group's position; a single autocommit statement, so it is durable when this returns. */
  private commit(groupId: string, topic: string, nextOffset: number): number {
    this.statements.commitOffset.run(groupId, topic, PARTITION, nextOffset);
    return nextOffset;
  }

  private offsetOfVersion(stream: string, version: number): number {
    if (version === 0) return -1;
    const row = this.statements.offsetOfVersion.get(stream, version) as { offset: number } | undefined;
    return row?.offset ?? -1;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event log is closed');
  }
}

class SqliteSubscription implements Subscription {
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly control: LoopControl,
    private readonly loops: Promise<void>[],
    private readonly onStopped: () => void,
  ) {}

  /** Resolves once every topic loop finished its current batch and exited. Do not await it from eachBatch. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.control.stopped = true;
      for (const wake of [...this.control.wakers]) wake();
      await Promise.all(this.loops);
      this.onStopped();
    })();
    return this.stopping;
  }
}

function prepareStatements(db: DatabaseSync): Statements {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT append_'),
    release: db.prepare('RELEASE append_'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO append_'),
    streamHead: db.prepare('SELECT version, last_hash FROM streams WHERE stream = ?'),
    upsertStreamHead: db.prepare(
      `INSERT INTO streams (stream, version, last_hash) VALUES (?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET version = excluded.version, last_hash = excluded.last_hash`,
    ),
    streamOfId: db.prepare(
      "SELECT stream, json_extract(body, '$.requestDigest') AS request_digest FROM events WHERE id = ?",
    ),
    insertEvent: db.prepare(
      'INSERT INTO events (topic, stream, stream_version, id, body) VALUES (?, ?, ?, ?, ?)',
    ),
    offsetOfVersion: db.prepare(
      'SELECT "offset" AS offset FROM events WHERE stream = ? AND stream_version = ?',
    ),
    readStream: db.prepare('SELECT body FROM events WHERE stream = ? ORDER BY stream_version'),
    readTopic: db.prepare(
      'SELECT "offset" AS offset, stream, body FROM events WHERE topic = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?',
    ),
    lastOffset: db.prepare('SELECT max("offset") AS last FROM events'),
    countFrom: db.prepare(
      'SELECT count(*) AS pending FROM (SELECT 1 FROM events WHERE topic = ? AND "offset" >= ? LIMIT ?)',
    ),
    committedOffset: db.prepare(
      'SELECT next_offset FROM consumer_offsets WHERE group_id = ? AND topic = ? AND partition = ?',
    ),
    commitOffset: db.prepare(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
    ),
  };
}

function assertPartition(partition: number): void {
  if (partition !== PARTITION)
    throw new RangeError(`the embedded log has only partition ${PARTITION}, not ${partition}`);
}

function topicEvent(topic: string): string {
  // Prefixed so that a topic named "error" is not taken for EventEmitter's special event.
  return `appended:${topic}`;
}

function parseEnvelope(body: string): EventEnvelope {
  return JSON.parse(body) as EventEnvelope;
}

/**
 * Roughly the JSON length of a value, for the backpressure bound. A walk instead of JSON.stringify because
 * formatting every number of a 20 KB metric batch costs about five times as much, on the ingest hot path.
 */
function estimateJsonBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
      // A double prints as up to ~20 characters, a small integer as a few.
      return 12;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      let size = 2;
      if (Array.isArray(value)) {
        // Numbers inline: a metric batch's columns are most of what is estimated.
        for (const item of value) size += (typeof item === 'number' ? 12 : estimateJsonBytes(item)) + 1;
        return size;
      }
      for (const [key, item] of Object.entries(value)) size += key.length + 4 + estimateJsonBytes(item);
      return size;
    }
    default:
      return 0;
  }
}
