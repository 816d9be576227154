import type { Consumer, IHeaders } from 'kafkajs';
import { createKafkaClient, type KafkaClientOptions } from './client';
import { KafkaAdapterError } from './errors';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  /** Kafka offset (a decimal string). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface BatchControl {
  /** False once the consumer is stopping or the batch is stale (a rebalance or seek): stop and return. */
  shouldContinue(): boolean;
  heartbeat(): Promise<void>;
}

/**
 * Handles a batch of one partition's messages in offset order; returns the offset of the last message it
 * processed (the consumer resumes after it), or undefined if it processed none.
 */
export type BatchHandler = (messages: ConsumedMessage[], control: BatchControl) => Promise<string | undefined>;

export interface KafkaConsumerOptions extends KafkaClientOptions {
  groupId: string;
}

export interface KafkaConsumer {
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  /** Starts fetching. Offsets are never committed automatically: call `commit` once the work is durable. */
  run(handler: BatchHandler): Promise<void>;
  /** Positions a partition (after `run`); replay starts there whatever the group committed. */
  seek(topic: string, partition: number, offset: string): void;
  pause(topic: string): void;
  resume(topic: string): void;
  /** Commits `nextOffset` (the offset of the next message to read) for a partition. */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
  /** The earliest retained offset of each partition of a topic. */
  earliestOffsets(topic: string): Promise<Map<number, string>>;
  /** The next offset to be written (high watermark) of each partition of a topic. */
  latestOffsets(topic: string): Promise<Map<number, string>>;
  /** Committed offsets of this group for a topic. */
  committedOffsets(topic: string): Promise<Map<number, string>>;
  disconnect(): Promise<void>;
}

/** A kafkajs consumer in a group, with manual offset management for at-least-once processing with replay. */
export function createKafkaConsumer({ groupId, ...client }: KafkaConsumerOptions): KafkaConsumer {
  if (typeof groupId !== 'string' || groupId.length === 0)
    throw new KafkaAdapterError('KAFKA_ERR_CONFIG', 'groupId is required');
  const kafka = createKafkaClient(client);
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  const admin = kafka.admin();
  return {
    async connect() {
      await Promise.all([consumer.connect(), admin.connect()]);
    },
    async subscribe(topics) {
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    },
    async run(handler) {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const messages = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: m.headers ?? {},
          }));
          const last = await handler(messages, { shouldContinue: () => isRunning() && !isStale(), heartbeat });
          if (last !== undefined) resolveOffset(last);
        },
      });
    },
    seek(topic, partition, offset) {
      consumer.seek({ topic, partition, offset });
    },
    pause(topic) {
      consumer.pause([{ topic }]);
    },
    resume(topic) {
      consumer.resume([{ topic }]);
    },
    async commit(topic, partition, nextOffset) {
      await consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
    },
    async earliestOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((p) => [p.partition, p.low]));
    },
    async latestOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((p) => [p.partition, p.high]));
    },
    async committedOffsets(topic) {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
    },
    async disconnect() {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}
