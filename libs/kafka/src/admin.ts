import type { ShardMap } from '@shardex/order-router';
import type { KafkaClientOptions } from './clients';
import type { KafkaAdmin } from './driver';
import { kafkaDriver } from './drivers';
import { KafkaAdapterError } from './errors';

/** An admin client on the options' Kafka client library: connect it before use, disconnect it after. */
export function createKafkaAdmin(options: KafkaClientOptions): KafkaAdmin {
  return kafkaDriver(options).admin(options);
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor?: number;
  /** Kafka topic configs, e.g. `retention.ms`. */
  configEntries?: Record<string, string>;
  /** An existing topic must have exactly `partitions` (not just at least): a shard's input topic. */
  exactPartitions?: boolean;
}

export interface ShardTopicOptions {
  /**
   * Partitions of output topics (keyed by symbol). Default 6. A shard's input topic always has one: the engine is
   * deterministic over the order of its input, and only a single partition gives that order on every replay.
   */
  partitions?: number;
  /** Preload (lifecycle) and dead-letter topics: one partition keeps lifecycle commands in order. Default 1. */
  controlPartitions?: number;
  replicationFactor?: number;
  /** Retention of every shard topic, ms. Default 7 days. */
  retentionMs?: number;
  /** `min.insync.replicas` of every shard topic: with acks=all, how many replicas hold a record before it is acknowledged. Default: the broker's. */
  minInsyncReplicas?: number;
}

/** The topics a shard map needs: input, preload, output and dead-letter of every shard. */
export function shardTopics(
  map: ShardMap,
  {
    partitions = 6,
    controlPartitions = 1,
    replicationFactor = 1,
    retentionMs = 7 * 24 * 3_600_000,
    minInsyncReplicas,
  }: ShardTopicOptions = {},
): TopicSpec[] {
  const configEntries: Record<string, string> = {
    'retention.ms': String(retentionMs),
    ...(minInsyncReplicas !== undefined ? { 'min.insync.replicas': String(minInsyncReplicas) } : {}),
  };
  return map.shards.flatMap((s) => [
    { topic: s.kafkaInputTopic, partitions: 1, replicationFactor, configEntries, exactPartitions: true },
    { topic: s.kafkaPreloadTopic, partitions: controlPartitions, replicationFactor, configEntries },
    { topic: s.kafkaOutputTopic, partitions, replicationFactor, configEntries },
    { topic: s.kafkaDlqTopic, partitions: controlPartitions, replicationFactor, configEntries },
  ]);
}

/**
 * Creates the topics that do not exist; checks those that do have at least the partitions asked for (fewer
 * partitions would silently change which partition a key lands on, so that is an error, not a warning) unless
 * `checkExisting` is false (a service creating defaults for what is missing, leaving operators' topics alone).
 */
export async function ensureTopics(
  client: KafkaClientOptions,
  specs: readonly TopicSpec[],
  { checkExisting = true }: { checkExisting?: boolean } = {},
): Promise<{ created: string[]; existing: string[] }> {
  for (const s of specs) {
    if (!Number.isInteger(s.partitions) || s.partitions < 1)
      throw new KafkaAdapterError('KAFKA_ERR_CONFIG', `${s.topic}: partitions must be >= 1`);
  }
  const admin = createKafkaAdmin(client);
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.topic));
    const existing = specs.filter((s) => present.has(s.topic));
    // Existing topics are checked first: a map that does not fit creates nothing.
    if (checkExisting && existing.length > 0) {
      for (const t of await admin.describeTopics(existing.map((s) => s.topic))) {
        const spec = existing.find((s) => s.topic === t.name);
        const want = spec?.partitions ?? 0;
        if (t.partitions.length < want || (spec?.exactPartitions && t.partitions.length !== want)) {
          throw new KafkaAdapterError(
            'KAFKA_ERR_TOPIC',
            `${t.name} has ${t.partitions.length} partitions, ${spec?.exactPartitions ? 'exactly ' : ''}${want} required`,
          );
        }
        // A topic made earlier with fewer replicas (e.g. by a shard started before the set-up job, which creates
        // its own topics with one) loses acknowledged records with its only broker: say so, never pass it.
        const replicas = Math.min(...t.partitions.map((p) => p.replicas));
        if (spec?.replicationFactor !== undefined && replicas < spec.replicationFactor) {
          throw new KafkaAdapterError(
            'KAFKA_ERR_TOPIC',
            `${t.name} has ${replicas} replica${replicas === 1 ? '' : 's'} per partition, ${spec.replicationFactor} required (kafka-reassign-partitions.sh adds replicas)`,
          );
        }
      }
    }
    if (missing.length > 0) {
      await admin
        .createTopics(
          missing.map((s) => ({
            topic: s.topic,
            partitions: s.partitions,
            replicationFactor: s.replicationFactor ?? 1,
            configEntries: s.configEntries ?? {},
          })),
        )
        .catch((cause: unknown) => {
          throw new KafkaAdapterError(
            'KAFKA_ERR_TOPIC',
            `creating ${missing.map((s) => s.topic).join(', ')}: ${(cause as Error).message}`,
            { cause },
          );
        });
    }
    return { created: missing.map((s) => s.topic), existing: existing.map((s) => s.topic) };
  } finally {
    await admin.disconnect();
  }
}
