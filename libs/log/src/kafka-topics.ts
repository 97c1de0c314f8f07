import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { TOPICS } from '../../events/src/envelope';
import { retryRetriable, type InternalCluster } from './kafka-cluster';

const DEFAULT_METRICS_PARTITIONS = 4;
/**
 * One metric batch is one event, and ingest admits 250,000 points per request (~7 MB of JSON), so runlog.metrics
 * is created with records of up to 16 MiB. Fetches still return a batch larger than their byte limit whole.
 */
export const METRICS_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How the Kafka log's topics are made: partitions per topic, and which of them a caller names. */
export interface TopicLayout {
  topicPartitions?: Record<string, number>;
  defaultPartitions?: number;
}

/** Creates each topic the log touches, once per process, with the settings its kind needs. */
export class KafkaTopics {
  private readonly known = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin,
    private readonly cluster: InternalCluster,
    private readonly physical: (name: string) => string,
    private readonly config: TopicLayout,
  ) {}

  /** Creates a topic the first time this process touches it; idempotent across processes. */
  ensure(topic: string): Promise<void> {
    let known = this.known.get(topic);
    if (!known) {
      known = this.createTopic(topic);
      this.known.set(topic, known);
      // A failed creation (broker away) is tried again by the next caller instead of being remembered.
      known.catch(() => this.known.delete(topic));
    }
    return known;
  }

  private async createTopic(topic: string): Promise<void> {
    // The Runlog topics have fixed defaults (lifecycle order across runs needs one partition); defaultPartitions
    // is for the other topics a caller names.
    const runlogTopic = (Object.values(TOPICS) as string[]).includes(topic);
    const numPartitions =
      this.config.topicPartitions?.[topic] ??
      (topic === TOPICS.metrics
        ? DEFAULT_METRICS_PARTITIONS
        : runlogTopic
          ? 1
          : (this.config.defaultPartitions ?? 1));
    // Kept forever: the registry too, which compaction would shrink to each model's last event and so break every
    // chain an auditor recomputes.
    const configEntries =
      topic === TOPICS.lifecycle || topic === TOPICS.access
        ? [{ name: 'retention.ms', value: '-1' }]
        : topic === TOPICS.registry
          ? [
              { name: 'retention.ms', value: '-1' },
              { name: 'cleanup.policy', value: 'delete' },
            ]
          : topic === TOPICS.metrics
            ? [{ name: 'max.message.bytes', value: String(METRICS_MAX_MESSAGE_BYTES) }]
            : [];
    // createTopics answers false when the topic exists, so racing creators (other processes) are fine. Its wait
    // for leaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which the broker answers until the new topic's metadata
    // reached it: that is retried, and the topic counts as ready once its leaders answer ListOffsets.
    const created = await retryRetriable(() =>
      this.admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: this.physical(topic), numPartitions, configEntries }],
      }),
    );
    if (!created && configEntries.length > 0 && (await this.configDiffers(topic, configEntries))) {
      // A topic made by an older version keeps its settings unless told: the metrics record limit above all. kafkajs
      // only has the legacy AlterConfigs, which resets the topic's other overrides, so it runs only when needed.
      await retryRetriable(() =>
        this.admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: this.physical(topic), configEntries }],
        }),
      );
    }
    await retryRetriable(() => this.admin.fetchTopicOffsets(this.physical(topic)));
    await retryRetriable(() => this.cluster.addTargetTopic(this.physical(topic)));
  }

  private async configDiffers(topic: string, entries: { name: string; value: string }[]): Promise<boolean> {
    const described = await retryRetriable(() =>
      this.admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: this.physical(topic),
            configNames: entries.map((e) => e.name),
          },
        ],
      }),
    );
    const current = new Map(
      (described.resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
    return entries.some((entry) => current.get(entry.name) !== entry.value);
  }
}
