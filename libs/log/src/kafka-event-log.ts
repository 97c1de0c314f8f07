import {
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Message,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { sealEventWithText, TOPICS, type EventEnvelope, type NewEvent } from '../../events/src/envelope';
import {
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
import {
  asUnavailable,
  privateCluster,
  retryRetriable,
  type FetchedMessage,
  type InternalCluster,
} from './kafka-cluster';
import { CONSUMER_CONFIG, handleBatch, KafkaSubscription, toRecord } from './kafka-subscription';
import { KafkaTopics, METRICS_MAX_MESSAGE_BYTES } from './kafka-topics';
import { StreamCache } from './stream-cache';

export interface KafkaEventLogConfig {
  brokers: string[];
  clientId: string;
  /** Partitions per topic, used when this log creates the topic; runlog.metrics defaults to 4, others to 1. */
  topicPartitions?: Record<string, number>;
  /** Partitions of a non-Runlog topic created on first use that topicPartitions does not name. Default 1. */
  defaultPartitions?: number;
  /** Clock for `recordedAt`; tests pin it. */
  now?: () => Date;
  /** Bound on the envelopes readStream keeps in memory (estimated JSON bytes). Default 64 MiB. */
  streamCacheBytes?: number;
  /**
   * Prepended to every topic and consumer group name on the broker, so several Runlog deployments (or test
   * servers) share one cluster without meeting. Callers keep using the logical names. Default none.
   */
  namespace?: string;
  /**
   * Topics that other processes also write to (each stream still has one writer). readStream and appends first
   * index what was added to them since this process last looked: one ListOffsets request when nothing was. With
   * several ingest processes this is how one sees the experiments and runs another one created. Default none.
   */
  followTopics?: string[];
  /**
   * Topics that other processes may have written to, indexed again only before this process appends to them (not
   * before every readStream): a projector taking over a partition continues that partition's dead-letter stream.
   * Reads of other topics never wait on them. Default none.
   */
  followOnAppendTopics?: string[];
  /**
   * Compression of runlog.metrics batches. Measured with `npm run bench` on one broker on localhost (2 cores):
   * none 1.02–1.06M points/s acknowledged, gzip 0.59–0.62M, the same projection rate; gzip shrinks the topic
   * several-fold and pays off when brokers are across a network or disk is short. Default none.
   */
  metricsCompression?: 'none' | 'gzip';
}

export const EVENT_ID_HEADER = 'runlog-event-id';
export const EVENT_TYPE_HEADER = 'runlog-event-type';

const DEFAULT_STREAM_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * The broker refuses a produce request whose batch for one partition exceeds the topic's max.message.bytes (1 MiB
 * by default, measured on the compressed batch). Sends are cut below that on the uncompressed size, which is
 * conservative; a single event above the topic's limit cannot be written at all and is refused before anything is.
 */
const MAX_SEND_BYTES = 900 * 1024;
const DEFAULT_MAX_EVENT_BYTES = 1_000_000 - 512;
/** Per fetch request in read(): enough for several record batches, small enough to keep one read's memory flat. */
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
/** The fetch protocol's value for READ_COMMITTED; this log writes no transactions, so it equals the high watermark. */
const READ_COMMITTED = 1;

/** What the log knows about one stream without holding its events. */
interface StreamHead {
  topic: string;
  partition: number;
  version: number;
  lastHash: string | null;
  /** Offsets of the stream's events in (topic, partition), in stream order: 8 bytes per event, not the event. */
  offsets: number[];
}

/**
 * The Kafka EventLog (kafkajs). One topic per log topic, key = stream id, so a stream's events stay in one
 * partition in order; the value is the JSON of the sealed envelope, headers carry its id and type.
 *
 * Kafka has no compare-and-append, so expected versions, hash chains and event-id dedup are kept by this
 * process: at connect it reads the topics it manages (runlog.* and those named in topicPartitions) from the
 * beginning and builds each stream's head (version, last hash, event offsets) and the id → stream map; its own
 * appends keep them current. Appends to one stream are serialised in a promise chain, so expectedVersion checks
 * are exact for ONE writer process. With several writer processes they are not: two processes can both pass a
 * check and both write, forking the chain, and neither sees the other's ids. Correctness across processes needs
 * single-writer-per-stream routing (docs/distributed.md: forward a stream's commands to the owner of its
 * partition), which this adapter does not do. Topics written by another process after connect are not indexed.
 *
 * Memory: heads and the id map grow with the number of events (an offset and an id per event, never the
 * payload). readStream is served from an LRU cache of envelopes bounded by streamCacheBytes; a miss fetches the
 * stream's records by their offsets, jumping over the other streams' records in between. Streams larger than a
 * 64th of the cache (long metric streams) are never cached.
 *
 * A single append larger than one produce request (~900 KB) is written by several sends. They are not atomic:
 * if a later one fails, the earlier events are in the log and in the head; a retry with the same ids writes the
 * rest (a partial overlap is checked as a new append, so a retry with a stale numeric expected version conflicts).
 */
export class KafkaEventLog implements EventLog {
  private readonly heads = new Map<string, StreamHead>();
  /** Per topic and partition, the offset below which every record is in the heads. */
  private readonly indexedThrough = new Map<string, Map<number, number>>();
  /** Topics where a send failed: it may have landed all the same, so they are indexed again before use. */
  /** Topic → how many sends failed on it so far: a catch-up clears only the failures that happened before it began. */
  private readonly staleTopics = new Map<string, number>();
  private readonly catchingUp = new Map<string, Promise<void>>();
  /** Event id → stream, for idempotent retries; the stream string is the heads map's key, so it is shared. */
  private readonly idStreams = new Map<string, string>();
  /** Request digests of the ids that have one, to tell a retry from another request reusing its id. */
  private readonly idDigests = new Map<string, string>();
  private readonly cache: StreamCache;
  private readonly topics: KafkaTopics;
  /** Tail of each stream's append chain; removed when the chain drains. */
  private readonly streamChains = new Map<string, Promise<unknown>>();
  private readonly pendingAppends = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  /** Consecutive handler failures per consumer, for the retry backoff. */
  private readonly now: () => Date;
  private closed = false;
  /** Cleared by close() once subscriptions stopped: until then their handlers may still append. */
  private acceptingAppends = true;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly cluster: InternalCluster,
    private readonly config: KafkaEventLogConfig,
  ) {
    this.now = config.now ?? (() => new Date());
    this.topics = new KafkaTopics(admin, cluster, (name) => this.physical(name), config);
    this.cache = new StreamCache(config.streamCacheBytes ?? DEFAULT_STREAM_CACHE_BYTES);
  }

  static async connect(config: KafkaEventLogConfig): Promise<KafkaEventLog> {
    const kafka = new Kafka({
      brokers: config.brokers,
      clientId: config.clientId,
      // kafkajs logs every error response at ERROR, including the ones it handles (an existing topic, a loading
      // coordinator). Errors that matter reach callers as rejections, and subscription failures through onError.
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      // One request in flight per broker: together with idempotence, retries can neither reorder nor duplicate.
      maxInFlightRequests: 1,
      // A send gives up after ~10 s of a broker away (connection refused answers at once), so an ingest request
      // fails with a 503 the client retries instead of hanging for kafkajs's default 30 s per attempt.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const cluster = privateCluster(kafka);
    await Promise.all([admin.connect(), producer.connect(), cluster.connect()]);
    const log = new KafkaEventLog(kafka, admin, producer, cluster, config);
    try {
      const managed = new Set<string>([
        ...Object.values(TOPICS),
        ...Object.keys(config.topicPartitions ?? {}),
      ]);
      await Promise.all([...managed].map((topic) => log.topics.ensure(topic)));
      for (const topic of managed) await log.catchUp(topic);
      return log;
    } catch (error) {
      await log.close();
      throw error;
    }
  }

  appendToStream(
    topic: string,
    stream: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (!this.acceptingAppends) return Promise.reject(new Error('event log is closed'));
    const expectedVersion = options.expectedVersion ?? 'any';
    const invalid = validateAppend(topic, stream, events, expectedVersion);
    if (invalid) return Promise.reject(invalid);
    // Appends to one stream run one after another: each sees the head the previous one left, which is what makes
    // the expected-version check and the hash chain exact within this process.
    const previous = this.streamChains.get(stream) ?? Promise.resolve();
    const append = previous.then(() => this.applyAppend(topic, stream, events, expectedVersion));
    const tail = append.catch(() => undefined);
    this.streamChains.set(stream, tail);
    this.pendingAppends.add(tail);
    void tail.then(() => {
      this.pendingAppends.delete(tail);
      if (this.streamChains.get(stream) === tail) this.streamChains.delete(stream);
    });
    return append;
  }

  async readStream(stream: string): Promise<StreamSlice> {
    this.assertOpen();
    await this.catchUpWithOthers(this.config.followTopics ?? []);
    const head = this.heads.get(stream);
    if (!head) return { version: 0, events: [] };
    // A snapshot of the head: appends that complete while the fetch runs are not part of this slice.
    const version = head.version;
    const cached = this.cache.get(stream, version);
    if (cached) return { version, events: cached };
    const events = await this.fetchStream(head, head.offsets.slice(0, version));
    // An append landed while these were fetched: the slice is right for the caller but not the stream's whole.
    if (this.heads.get(stream)?.version === events.length) this.cache.put(stream, events);
    return { version, events };
  }

  /** From this process's index of the topics it reads (caught up with the followed topics first, as readStream). */
  async findEventId(id: string): Promise<EventIdOwner | null> {
    this.assertOpen();
    await this.catchUpWithOthers(this.config.followTopics ?? []);
    const stream = this.idStreams.get(id);
    if (stream === undefined) return null;
    const requestDigest = this.idDigests.get(id);
    return requestDigest === undefined ? { stream } : { stream, requestDigest };
  }

  async read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<LogRecord[]> {
    this.assertOpen();
    if (!Number.isInteger(partition) || partition < 0) {
      throw new RangeError(`partition must be a non-negative integer, got ${partition}`);
    }
    if (!Number.isInteger(fromOffset) || fromOffset < 0) {
      throw new RangeError(`fromOffset must be a non-negative integer, got ${fromOffset}`);
    }
    if (!Number.isInteger(maxRecords) || maxRecords < 0) {
      throw new RangeError(`maxRecords must be a non-negative integer, got ${maxRecords}`);
    }
    if (maxRecords === 0) return [];
    await this.topics.ensure(topic);
    const offsets = await retryRetriable(() => this.admin.fetchTopicOffsets(this.physical(topic)));
    const bounds = offsets.find((o) => o.partition === partition);
    if (!bounds) throw new RangeError(`topic ${topic} has no partition ${partition}`);
    // The end is known before fetching, so a read past it returns at once instead of long-polling the broker.
    const end = Number(bounds.high);
    let next = Math.max(fromOffset, Number(bounds.low));
    const records: LogRecord[] = [];
    while (records.length < maxRecords && next < end) {
      const messages = await this.fetchPartition(topic, partition, next);
      if (messages.length === 0) break;
      for (const message of messages) {
        const offset = Number(message.offset);
        if (offset < next || message.isControlRecord) continue;
        if (records.length < maxRecords && offset < end) records.push(toRecord(topic, partition, message));
      }
      next = Number(messages[messages.length - 1].offset) + 1;
    }
    return records;
  }

  async endOffsets(topic: string): Promise<Map<number, number>> {
    this.assertOpen();
    await this.topics.ensure(topic);
    const offsets = await retryRetriable(() => this.admin.fetchTopicOffsets(this.physical(topic)));
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  async pendingRecords(groupId: string, topic: string, atMost = Number.MAX_SAFE_INTEGER): Promise<number> {
    this.assertOpen();
    await this.topics.ensure(topic);
    const [offsets, committed] = await Promise.all([
      retryRetriable(() => this.admin.fetchTopicOffsets(this.physical(topic))),
      this.committedOffsets(groupId, topic),
    ]);
    // Records below the low watermark are gone (retention): a group that never committed is behind only the rest.
    const pending = offsets.reduce(
      (sum, o) =>
        sum + Math.max(0, Number(o.high) - Math.max(Number(o.low), committed.get(o.partition) ?? 0)),
      0,
    );
    return Math.min(pending, atMost);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    this.assertOpen();
    await this.topics.ensure(topic);
    const [fetched] = await retryRetriable(() =>
      this.admin.fetchOffsets({ groupId: this.physical(groupId), topics: [this.physical(topic)] }),
    );
    // kafkajs reports "nothing committed" as -1 (or an empty string on some versions): the group starts at 0.
    return new Map(
      (fetched?.partitions ?? []).map((p) => {
        const offset = Number(p.offset);
        return [p.partition, p.offset === '' || !(offset >= 0) ? 0 : offset];
      }),
    );
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.assertOpen();
    if (!Number.isInteger(options.maxBatchRecords) || options.maxBatchRecords < 1) {
      throw new RangeError(`maxBatchRecords must be a positive integer, got ${options.maxBatchRecords}`);
    }
    const consumer = this.kafka.consumer({ groupId: this.physical(options.groupId), ...CONSUMER_CONFIG });
    const subscription = new KafkaSubscription(consumer, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    // kafkajs restarts a crashed consumer by itself; the handler hears of the crash all the same.
    consumer.on(consumer.events.CRASH, ({ payload }) => options.onError?.(payload.error));
    subscription.start(async () => {
      const topics = [...new Set(options.topics)];
      await Promise.all(topics.map((topic) => this.topics.ensure(topic)));
      await consumer.connect();
      await consumer.subscribe({ topics: topics.map((topic) => this.physical(topic)), fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => handleBatch(consumer, options, payload, (name) => this.logical(name)),
      });
    }, options.onError);
    return subscription;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Subscriptions first: a batch still being handled may append (a dead letter, say) and must be able to.
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.acceptingAppends = false;
    // Appends already accepted are settled (written or failed), never dropped.
    while (this.pendingAppends.size > 0) await Promise.all([...this.pendingAppends]);
    this.closed = true;
    await Promise.allSettled([
      this.producer.disconnect(),
      this.admin.disconnect(),
      this.cluster.disconnect(),
    ]);
  }

  private async applyAppend(
    topic: string,
    stream: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    await this.topics.ensure(topic);
    const followed =
      this.config.followTopics?.includes(topic) || this.config.followOnAppendTopics?.includes(topic);
    await this.catchUpWithOthers(followed ? [topic] : []);
    const head = this.heads.get(stream);
    if (head && head.topic !== topic) {
      throw new Error(`stream ${stream} lives in topic ${head.topic}, not ${topic}`);
    }
    const version = head?.version ?? 0;

    const fresh: NewEvent[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (const event of events) {
      if (seen.has(event.id)) {
        duplicates += 1;
        continue;
      }
      seen.add(event.id);
      const owner = this.idStreams.get(event.id);
      if (owner === undefined) {
        fresh.push(event);
      } else {
        // As in the embedded log: the same stream and the same request is a retry; anything else is refused.
        checkDuplicate(event, stream, { stream: owner, requestDigest: this.idDigests.get(event.id) });
        duplicates += 1;
      }
    }

    // As in the embedded log: a retry whose first attempt landed finds all its ids and succeeds with the current
    // head although its expected version is stale by construction; a partial overlap is checked as new.
    const allDuplicates = events.length > 0 && fresh.length === 0;
    if (!allDuplicates && !versionMatches(expectedVersion, version)) {
      throw new LogConcurrencyError(stream, expectedVersion, version);
    }
    if (fresh.length === 0) {
      return {
        nextExpectedVersion: version,
        appended: [],
        duplicates,
        lastOffset: head ? (head.offsets[head.version - 1] ?? -1) : -1,
        partition: head?.partition ?? 0,
      };
    }

    // Sealed and serialised before anything is sent, so an unserialisable event fails the append with nothing written.
    const recordedAt = this.now().toISOString();
    let prevHash = head?.lastHash ?? null;
    const maxEventBytes =
      topic === TOPICS.metrics ? METRICS_MAX_MESSAGE_BYTES - 512 : DEFAULT_MAX_EVENT_BYTES;
    const sealed: { envelope: EventEnvelope; message: Message; bytes: number }[] = [];
    for (const event of fresh) {
      const { envelope, text: value } = sealEventWithText(event, stream, prevHash, recordedAt);
      prevHash = envelope.hash;
      const bytes = Buffer.byteLength(value);
      if (bytes > maxEventBytes) {
        throw new RangeError(
          `event ${event.id} is ${bytes} bytes; one record of ${topic} may hold at most ${maxEventBytes}`,
        );
      }
      const message: Message = {
        key: stream,
        value,
        headers: { [EVENT_ID_HEADER]: envelope.id, [EVENT_TYPE_HEADER]: envelope.type },
      };
      sealed.push({ envelope, message, bytes });
    }

    const appended: EventEnvelope[] = [];
    let lastOffset = -1;
    let partition = head?.partition ?? 0;
    for (const chunk of chunkBySize(sealed, MAX_SEND_BYTES)) {
      let meta: RecordMetadata;
      try {
        [meta] = await this.producer.send({
          topic: this.physical(topic),
          acks: -1,
          compression:
            topic === TOPICS.metrics && this.config.metricsCompression === 'gzip'
              ? CompressionTypes.GZIP
              : CompressionTypes.None,
          messages: chunk.map((s) => s.message),
        });
      } catch (error) {
        // The broker may have written the records before the answer was lost: index the topic before trusting
        // its heads again, so that a retry with the same ids finds them instead of writing them twice.
        this.staleTopics.set(topic, (this.staleTopics.get(topic) ?? 0) + 1);
        throw asUnavailable(error);
      }
      const baseOffset = Number(meta.baseOffset);
      const current = this.heads.get(stream);
      if (current && current.partition !== meta.partition) {
        // Only a changed partition count moves a key; Kafka's per-key order is lost then, and so is this index.
        throw new Error(
          `stream ${stream} moved from partition ${current.partition} to ${meta.partition} of ${topic}; reconnect to reindex`,
        );
      }
      const stored: StreamHead = current ?? {
        topic,
        partition: meta.partition,
        version: 0,
        lastHash: null,
        offsets: [],
      };
      chunk.forEach((s, i) => {
        // A catch-up that ran while this send was answered may have indexed the record already.
        if (lastOf(stored) < baseOffset + i) {
          stored.offsets.push(baseOffset + i);
          stored.version += 1;
          stored.lastHash = s.envelope.hash;
        }
        this.rememberId(s.envelope);
        appended.push(s.envelope);
      });
      this.heads.set(stream, stored);
      const indexed = this.indexedThrough.get(topic);
      if (indexed?.get(meta.partition) === baseOffset) indexed.set(meta.partition, baseOffset + chunk.length);
      lastOffset = baseOffset + chunk.length - 1;
      partition = meta.partition;
      this.cache.extend(stream, stored.version - chunk.length, chunk);
    }
    return { nextExpectedVersion: version + appended.length, appended, duplicates, lastOffset, partition };
  }

  private rememberId(envelope: EventEnvelope): void {
    this.idStreams.set(envelope.id, envelope.stream);
    if (envelope.requestDigest) this.idDigests.set(envelope.id, envelope.requestDigest);
  }

  /** Indexes what other writers, or a send whose answer was lost, added to these topics; Kafka errors are 503s. */
  private async catchUpWithOthers(followed: string[]): Promise<void> {
    const topics = new Set([...followed, ...this.staleTopics.keys()]);
    if (topics.size === 0) return;
    try {
      await Promise.all(
        [...topics].map(async (topic) => {
          const failures = this.staleTopics.get(topic);
          await this.catchUp(topic);
          if (failures !== undefined && this.staleTopics.get(topic) === failures)
            this.staleTopics.delete(topic);
        }),
      );
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  /**
   * Indexes the records of a topic this process has not indexed yet: all of them at connect, later only what was
   * added since. Heads and ids only, so the memory is per event, not per byte. Passes over a topic run one after
   * another, and a caller's pass starts after its call: a pass already running read its end offsets too early to
   * see a write the caller must see (its own lost send, or another process's acknowledged append).
   */
  private catchUp(topic: string): Promise<void> {
    const previous = this.catchingUp.get(topic) ?? Promise.resolve();
    const pass = previous.catch(() => undefined).then(() => this.indexTopic(topic));
    const tail = pass.catch(() => undefined);
    this.catchingUp.set(topic, tail);
    void tail.then(() => {
      if (this.catchingUp.get(topic) === tail) this.catchingUp.delete(topic);
    });
    return pass;
  }

  private async indexTopic(topic: string): Promise<void> {
    const ends = await retryRetriable(() => this.admin.fetchTopicOffsets(this.physical(topic)));
    const indexed = this.indexedThrough.get(topic) ?? new Map<number, number>();
    this.indexedThrough.set(topic, indexed);
    for (const { partition, low, high } of ends) {
      let next = Math.max(indexed.get(partition) ?? 0, Number(low));
      const end = Number(high);
      while (next < end) {
        const messages = await this.fetchPartition(topic, partition, next);
        if (messages.length === 0) break;
        for (const message of messages) {
          const offset = Number(message.offset);
          if (offset < next || offset >= end || message.isControlRecord || !message.value) continue;
          this.indexRecord(
            topic,
            partition,
            offset,
            JSON.parse(message.value.toString('utf8')) as EventEnvelope,
          );
        }
        next = Number(messages[messages.length - 1].offset) + 1;
      }
      indexed.set(partition, Math.max(indexed.get(partition) ?? 0, Math.min(next, end)));
    }
  }

  private indexRecord(topic: string, partition: number, offset: number, envelope: EventEnvelope): void {
    const head = this.heads.get(envelope.stream) ?? {
      topic,
      partition,
      version: 0,
      lastHash: null,
      offsets: [],
    };
    // Known already: this process appended it, or an earlier pass indexed it.
    if (offset <= lastOf(head)) return;
    head.offsets.push(offset);
    head.version += 1;
    head.lastHash = envelope.hash;
    this.heads.set(envelope.stream, head);
    this.rememberId(envelope);
    // Cached slices are extended by this process's appends only; one written elsewhere makes the entry stale.
    this.cache.drop(envelope.stream);
  }

  /** Fetches the records at `offsets` of the stream's partition, skipping the gaps between them. */
  private async fetchStream(head: StreamHead, offsets: number[]): Promise<EventEnvelope[]> {
    const events: EventEnvelope[] = [];
    let i = 0;
    while (i < offsets.length) {
      const messages = await this.fetchPartition(head.topic, head.partition, offsets[i]);
      if (messages.length === 0)
        throw new Error(`record ${offsets[i]} of ${head.topic}/${head.partition} is gone`);
      for (const message of messages) {
        if (i < offsets.length && Number(message.offset) === offsets[i] && message.value) {
          events.push(JSON.parse(message.value.toString('utf8')) as EventEnvelope);
          i += 1;
        }
      }
      // The next fetch starts at the next wanted offset, not after the last record returned: other streams'
      // records in between are never transferred beyond the batches that hold wanted ones.
      const lastReturned = Number(messages[messages.length - 1].offset);
      if (i < offsets.length && offsets[i] <= lastReturned) {
        throw new Error(`record ${offsets[i]} of ${head.topic}/${head.partition} is gone`);
      }
    }
    return events;
  }

  /** One fetch request to the partition's leader, through kafkajs's cluster (see privateCluster). */
  private async fetchPartition(
    topic: string,
    partition: number,
    fetchOffset: number,
  ): Promise<FetchedMessage[]> {
    const name = this.physical(topic);
    await this.cluster.addTargetTopic(name);
    let leaders = this.cluster.findLeaderForPartitions(name, [partition]);
    if (Object.keys(leaders).length === 0) {
      await this.cluster.refreshMetadata();
      leaders = this.cluster.findLeaderForPartitions(name, [partition]);
    }
    const [nodeId] = Object.keys(leaders);
    if (nodeId === undefined) throw new Error(`no leader known for ${topic}/${partition}`);
    const broker = await this.cluster.findBroker({ nodeId });
    const response = await broker.fetch({
      isolationLevel: READ_COMMITTED,
      // Callers fetch only below the end they read first, so there is always data and no need to wait for it.
      maxWaitTime: 0,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      topics: [
        {
          topic: name,
          partitions: [{ partition, fetchOffset: String(fetchOffset), maxBytes: FETCH_MAX_BYTES }],
        },
      ],
    });
    const data = response.responses
      .find((r) => r.topicName === name)
      ?.partitions.find((p) => p.partition === partition);
    return data?.messages ?? [];
  }

  /** The broker's name for a logical topic or group. */
  private physical(name: string): string {
    return `${this.config.namespace ?? ''}${name}`;
  }

  private logical(physicalName: string): string {
    const namespace = this.config.namespace ?? '';
    return physicalName.startsWith(namespace) ? physicalName.slice(namespace.length) : physicalName;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event log is closed');
  }
}

function lastOf(head: StreamHead): number {
  return head.offsets.length > 0 ? head.offsets[head.offsets.length - 1] : -1;
}

function chunkBySize<T extends { bytes: number }>(items: T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
