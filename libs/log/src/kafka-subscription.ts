import type { Consumer, ConsumerConfig, EachBatchPayload } from 'kafkajs';
import type { EventEnvelope } from '../../events/src/envelope';
import type { LogRecord, SubscribeOptions, Subscription } from './event-log';
import { sleep } from './kafka-cluster';

export const RETRY_BACKOFF_MS = 500;
export const MAX_RETRY_BACKOFF_MS = 5_000;

/** One consumer group member of the Kafka event log: started (and restarted after failures) until stop(). */
export class KafkaSubscription implements Subscription {
  private running: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly onStopped: () => void,
  ) {}

  /** Starts the consumer; a start that fails (broker unreachable) is reported and tried again until stop(). */
  start(run: () => Promise<void>, onError?: (error: unknown) => void): void {
    this.running = (async () => {
      for (let failures = 1; !this.stopRequested; failures += 1) {
        try {
          await run();
          return;
        } catch (error) {
          onError?.(error);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(
              resolve,
              Math.min(RETRY_BACKOFF_MS * 2 ** (failures - 1), MAX_RETRY_BACKOFF_MS),
            );
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = null;
        }
      }
    })();
  }

  /** Resolves once the batch in hand was handled and committed and the consumer left its group. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true;
      this.wake?.();
      await this.running;
      await this.consumer.disconnect();
      this.onStopped();
    })();
    return this.stopping;
  }
}

/** A caught-up subscription long-polls the broker this long; it bounds how long stop() waits for an idle fetch. */
const CONSUMER_MAX_WAIT_MS = 500;
/**
 * One fetch's bytes, per partition and in all. kafkajs's 1 MiB per partition held about four 10,000-point metric
 * records: the projector then inserted ~40,000 rows at a time, and each insert's fixed cost (a part per table,
 * the rollup views) bounded it. Bounded all the same: one fetch is at most this much memory.
 */
const CONSUMER_MAX_PARTITION_BYTES = 16 * 1024 * 1024;
const CONSUMER_MAX_FETCH_BYTES = 32 * 1024 * 1024;

/** A subscription's consumer settings (its group id aside). */
export const CONSUMER_CONFIG: Omit<ConsumerConfig, 'groupId'> = {
  maxWaitTimeInMs: CONSUMER_MAX_WAIT_MS,
  maxBytesPerPartition: CONSUMER_MAX_PARTITION_BYTES,
  maxBytes: CONSUMER_MAX_FETCH_BYTES,
  allowAutoTopicCreation: false,
};

/** Handler failures in a row, per consumer: the backoff before the same records come again. */
const failures = new WeakMap<Consumer, number>();

/**
 * Hands a kafkajs batch to the handler in slices of at most maxBatchRecords. A slice's position is committed
 * (last offset + 1) only after its handler resolved. When it throws, the partition is sought back to the
 * slice's first offset, which was never committed, so the same records come again after a backoff.
 */
export async function handleBatch(
  consumer: Consumer,
  options: SubscribeOptions,
  payload: EachBatchPayload,
  logical: (physicalTopic: string) => string,
): Promise<void> {
  const { batch } = payload;
  const { partition } = batch;
  const topic = logical(batch.topic);
  const highWatermark = Number(batch.highWatermark);
  // kafkajs already dropped control records and records below the fetched offset.
  const messages = batch.messages;
  for (let start = 0; start < messages.length; start += options.maxBatchRecords) {
    // A rebalance took the partition, or stop() began: the rest is left for whoever reads it next.
    if (!payload.isRunning() || payload.isStale()) return;
    const slice = messages.slice(start, start + options.maxBatchRecords);
    const first = slice[0].offset;
    const last = slice[slice.length - 1].offset;
    try {
      const records = slice.map((m) => toRecord(topic, partition, m));
      await options.eachBatch({ topic, partition, records, highWatermark });
    } catch (error) {
      options.onError?.(error);
      const failed = (failures.get(consumer) ?? 0) + 1;
      failures.set(consumer, failed);
      await sleep(Math.min(RETRY_BACKOFF_MS * 2 ** (failed - 1), MAX_RETRY_BACKOFF_MS));
      consumer.seek({ topic: batch.topic, partition, offset: first });
      return;
    }
    failures.delete(consumer);
    payload.resolveOffset(last);
    const next = String(Number(last) + 1);
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition, offset: next }] }],
    });
    await payload.heartbeat();
  }
}

export function toRecord(
  topic: string,
  partition: number,
  message: { offset: string; key: Buffer | null; value: Buffer | null },
): LogRecord {
  if (!message.value) throw new Error(`record ${message.offset} of ${topic}/${partition} has no value`);
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key ? message.key.toString('utf8') : '',
    event: JSON.parse(message.value.toString('utf8')) as EventEnvelope,
  };
}
