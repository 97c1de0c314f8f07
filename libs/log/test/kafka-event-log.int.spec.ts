import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { TOPICS, verifyStreamChain } from '../../events/src/envelope';
import { kafkaBrokers, testKafkaAdmin } from '../../../test/support/kafka-broker';
import { KafkaEventLog, type KafkaEventLogConfig } from '../src/kafka-event-log';
import { event, eventLogContract, readAll, uniqueStream, uniqueTopic, waitFor } from './event-log.contract';

// Several partitions per test topic, so the contract also sees what one partition hides: records of a topic
// spread over partitions, ordered only within each.
const base = (): KafkaEventLogConfig => ({
  brokers: kafkaBrokers(),
  clientId: `runlog-test-${randomUUID()}`,
  defaultPartitions: 3,
});

eventLogContract('KafkaEventLog', async () => {
  const log = await KafkaEventLog.connect(base());
  return { log, cleanup: () => log.close() };
});

describe('KafkaEventLog', () => {
  const open: KafkaEventLog[] = [];

  async function connect(config: Partial<KafkaEventLogConfig> = {}): Promise<KafkaEventLog> {
    const log = await KafkaEventLog.connect({ ...base(), ...config });
    open.push(log);
    return log;
  }

  afterEach(async () => {
    await Promise.all(open.splice(0).map((log) => log.close()));
  });

  it('rebuilds stream heads and known ids from the topics it manages', async () => {
    const topic = uniqueTopic();
    const topicPartitions = { [topic]: 2 };
    const streams = [uniqueStream(), uniqueStream(), uniqueStream()];
    const first = await connect({ topicPartitions });
    for (let i = 0; i < 9; i += 1) await first.appendToStream(topic, streams[i % 3], [event(`e${i}`)]);
    const before = await Promise.all(streams.map((stream) => first.readStream(stream)));
    await first.close();

    const second = await connect({ topicPartitions });
    expect(await Promise.all(streams.map((stream) => second.readStream(stream)))).toEqual(before);
    // An id from before the reconnect is still known, and the chain and the version continue from the topic.
    await expect(second.appendToStream(topic, streams[0], [before[0].events[0]])).resolves.toMatchObject({
      duplicates: 1,
      nextExpectedVersion: 3,
    });
    await expect(
      second.appendToStream(topic, streams[0], [event('late')], { expectedVersion: 2 }),
    ).rejects.toMatchObject({ actual: 3 });
    await second.appendToStream(topic, streams[0], [event('next')], { expectedVersion: 3 });
    const after = await second.readStream(streams[0]);
    expect(after.events.map((e) => e.type)).toEqual(['e0', 'e3', 'e6', 'next']);
    expect(verifyStreamChain(after.events)).toBeNull();
  });

  it('serves readStream from the topic when its cache holds nothing', async () => {
    const topic = uniqueTopic();
    const stream = uniqueStream();
    // A cache too small for any stream: every readStream fetches the stream's records by offset.
    const log = await connect({ streamCacheBytes: 1 });
    const noise = uniqueStream();
    for (let i = 0; i < 6; i += 1) {
      await log.appendToStream(topic, stream, [event(`s${i}`)]);
      await log.appendToStream(topic, noise, [event(`n${i}`), event(`m${i}`)]);
    }
    const slice = await log.readStream(stream);
    expect(slice.events.map((e) => e.type)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(verifyStreamChain(slice.events)).toBeNull();
  });

  it('writes an append larger than one produce request in several sends, in order', async () => {
    const topic = uniqueTopic();
    const stream = uniqueStream();
    const log = await connect();
    const blob = 'x'.repeat(300_000);
    const result = await log.appendToStream(
      topic,
      stream,
      Array.from({ length: 8 }, (_, i) => event(`big${i}`, { blob })),
    );
    expect(result.appended).toHaveLength(8);
    const records = await readAll(log, topic);
    expect(records.map((r) => r.event.type)).toEqual(Array.from({ length: 8 }, (_, i) => `big${i}`));
    expect(verifyStreamChain((await log.readStream(stream)).events)).toBeNull();
  });

  it('refuses a single event larger than one record may be, writing nothing', async () => {
    const topic = uniqueTopic();
    const stream = uniqueStream();
    const log = await connect();
    await expect(
      log.appendToStream(topic, stream, [event('ok'), event('huge', { blob: 'x'.repeat(1_100_000) })]),
    ).rejects.toBeInstanceOf(RangeError);
    expect(await log.readStream(stream)).toEqual({ version: 0, events: [] });
    expect([...(await log.endOffsets(topic)).values()].every((end) => end === 0)).toBe(true);
  });

  it('creates the Runlog topics with their partitions and retention', async () => {
    await connect();
    const admin = await testKafkaAdmin();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(TOPICS) });
      const partitions = new Map(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions.get(TOPICS.lifecycle)).toBe(1);
      expect(partitions.get(TOPICS.metrics)).toBe(4);
      expect(partitions.get(TOPICS.registry)).toBe(1);
      expect(partitions.get(TOPICS.deadletter)).toBe(1);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: TOPICS.lifecycle, configNames: ['retention.ms'] },
          {
            type: ConfigResourceTypes.TOPIC,
            name: TOPICS.registry,
            configNames: ['cleanup.policy', 'retention.ms'],
          },
          { type: ConfigResourceTypes.TOPIC, name: TOPICS.metrics, configNames: ['max.message.bytes'] },
        ],
      });
      const value = (topic: string, name: string): string | undefined =>
        described.resources
          .find((r) => r.resourceName === topic)
          ?.configEntries.find((e) => e.configName === name)?.configValue;
      expect(value(TOPICS.lifecycle, 'retention.ms')).toBe('-1');
      // The registry's history is audited: kept whole, never compacted.
      expect(value(TOPICS.registry, 'cleanup.policy')).toBe('delete');
      expect(value(TOPICS.registry, 'retention.ms')).toBe('-1');
      expect(value(TOPICS.metrics, 'max.message.bytes')).toBe(String(16 * 1024 * 1024));
    } finally {
      await admin.disconnect();
    }
  });

  it.each(['none', 'gzip'] as const)(
    'holds a metric batch of several MB in one runlog.metrics record, and reads it back (compression %s)',
    async (metricsCompression) => {
      const namespace = `big-${randomUUID()}.`;
      const stream = `metrics:${randomUUID()}`;
      const values = Array.from({ length: 250_000 }, (_, i) => i + Math.PI);
      const big = { ...event('big'), payload: { values } };
      const writer = await connect({ namespace, metricsCompression });
      await writer.appendToStream(TOPICS.metrics, stream, [big]);

      const reader = await connect({ namespace });
      const slice = await reader.readStream(stream);
      expect(slice.version).toBe(1);
      expect((slice.events[0].payload as { values: number[] }).values).toEqual(values);
      const records = await readAll(reader, TOPICS.metrics);
      expect(records.map((r) => r.event.type)).toEqual(['big']);
    },
  );

  it('keeps a namespace to its own prefixed topics and groups, under the logical names', async () => {
    const topic = uniqueTopic();
    const namespace = `ns-${randomUUID()}.`;
    const stream = uniqueStream();
    const inside = await connect({ namespace });
    const outside = await connect({ namespace: `ns-${randomUUID()}.` });
    await inside.appendToStream(topic, stream, [event('a'), event('b')]);

    expect((await readAll(inside, topic)).map((r) => [r.topic, r.key, r.event.type])).toEqual([
      [topic, stream, 'a'],
      [topic, stream, 'b'],
    ]);
    expect(await readAll(outside, topic)).toEqual([]);
    expect((await outside.readStream(stream)).version).toBe(0);

    const seen: string[] = [];
    const groupId = `group-${randomUUID()}`;
    const subscription = inside.subscribe({
      groupId,
      topics: [topic],
      maxBatchRecords: 10,
      eachBatch: async (batch) => {
        seen.push(...batch.records.map((r) => `${r.topic}/${r.event.type}`));
      },
    });
    await waitFor(() => seen.length === 2);
    await subscription.stop();
    expect(seen).toEqual([`${topic}/a`, `${topic}/b`]);
    expect([...(await inside.committedOffsets(groupId, topic)).values()].reduce((a, b) => a + b, 0)).toBe(2);

    const admin = await testKafkaAdmin();
    try {
      const topics = await admin.listTopics();
      expect(topics).toContain(`${namespace}${topic}`);
      expect(topics).not.toContain(topic);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups).toContain(`${namespace}${groupId}`);
    } finally {
      await admin.disconnect();
    }
  });

  it('lets a handler append while close() waits for its subscription', async () => {
    const topic = uniqueTopic();
    const deadLetters = uniqueTopic();
    const log = await connect();
    await log.appendToStream(topic, uniqueStream(), [event('a')]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let appended: Promise<unknown> | undefined;
    log.subscribe({
      groupId: `group-${randomUUID()}`,
      topics: [topic],
      maxBatchRecords: 10,
      eachBatch: async () => {
        started = true;
        await gate;
        appended = log.appendToStream(deadLetters, uniqueStream(), [event('dead')]);
        await appended;
      },
    });
    await waitFor(() => started);
    const closing = log.close();
    release();
    await closing;
    await expect(appended).resolves.toBeDefined();
  });
});
