import { KafkaJSError, type Kafka } from 'kafkajs';
import { LogUnavailableError } from './event-log';

/** Kafka internals and error handling shared by the Kafka event log's parts. */

const RETRIABLE_BUDGET_MS = 20_000;

// Shapes of kafkajs internals used by read(); see privateCluster() for why they are used at all.
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord?: boolean;
}
export interface FetchResponse {
  responses: {
    topicName: string;
    partitions: { partition: number; errorCode: number; highWatermark: string; messages: FetchedMessage[] }[];
  }[];
}
export interface InternalBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<FetchResponse>;
}
export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<InternalBroker>;
}

/**
 * kafkajs has no public way to fetch a partition range without joining a consumer group, and a throwaway
 * group per read() costs a join and a leave (hundreds of ms) per page. Its Cluster, which the producer, admin
 * and consumer are built on, is created by a symbol-keyed factory on the Kafka object; kafkajs is pinned
 * (2.2.4, unmaintained since), so this reaches it by the symbol's description and fails loudly if it is gone.
 */
export function privateCluster(kafka: Kafka): InternalCluster {
  const key = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = key === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof factory !== 'function') {
    throw new Error(
      'kafkajs internals changed: no cluster factory on the Kafka object (expected kafkajs 2.2.x)',
    );
  }
  return (factory as (options: { allowAutoTopicCreation: boolean }) => InternalCluster)({
    allowAutoTopicCreation: false,
  });
}

/** A Kafka client error means the broker did not (or not clearly) take the request: callers answer 503. */
export function asUnavailable(error: unknown): unknown {
  if (!(error instanceof KafkaJSError)) return error;
  return new LogUnavailableError(`Kafka did not answer: ${error.message}`, { cause: error });
}

/**
 * Retries a request the broker refused with a retriable error, for up to RETRIABLE_BUDGET_MS. The admin client
 * does not retry NOT_COORDINATOR, which Kafka 4 answers for a group it has just placed on a coordinator, nor
 * UNKNOWN_TOPIC_OR_PARTITION, which a freshly started broker answers for a while for topics it just created.
 */
export async function retryRetriable<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRIABLE_BUDGET_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (!isRetriable(error) || Date.now() >= deadline) throw error;
      await sleep(Math.min(50 * 2 ** attempt, 1_000));
    }
  }
}

/** A retriable broker error, also when kafkajs's own retrier gave up on it and wrapped it. */
function isRetriable(error: unknown): boolean {
  if (!(error instanceof KafkaJSError)) return false;
  if (error.retriable) return true;
  return error.name === 'KafkaJSNumberOfRetriesExceeded' && isRetriable(error.cause);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
