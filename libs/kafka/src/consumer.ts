import type { Consumer, IHeaders } from 'kafkajs';
import { createKafkaClient, type KafkaClientOptions } from './client';
import { KafkaAdapterError } from './errors';
import { exclusiveAssigner } from './exclusive-assigner';

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
  /**
   * The offset the fetch of this batch started from. Above the position the handler expects, it means the
   * consumer jumped ahead on its own (kafkajs resets to the earliest offset when the position fell to retention):
   * the offsets in between are lost, not a gap.
   */
  fetchedOffset: string;
  /**
   * The partition's high watermark when the batch was fetched: the offset the next record written will get. A batch
   * whose last offset is `highWatermark - 1` reached everything written so far. Absent where unknown (test fakes).
   */
  highWatermark?: string;
  /** False once the consumer is stopping or the batch is stale (a rebalance or seek): stop and return. */
  shouldContinue(): boolean;
  /** Keeps the group membership alive during long work; throws when the group is rebalancing (then stop the batch). */
  heartbeat(): Promise<void>;
}

/**
 * Handles a batch of one partition's messages in offset order; returns the offset of the last message it
 * processed (the consumer resumes after it), or undefined if it processed none.
 */
export type BatchHandler = (messages: ConsumedMessage[], control: BatchControl) => Promise<string | undefined>;

export interface KafkaConsumerOptions extends KafkaClientOptions {
  groupId: string;
  /**
   * Use the exclusive assignment: every partition of every subscribed topic goes to the one member announcing the
   * highest priority (a shard's lease epoch). Without it, kafkajs' round-robin spreads partitions over members.
   */
  exclusivePriority?: number;
  /** The broker drops a member that sent no heartbeat for this long, ms. Default 10,000 (the broker's minimum is 6,000). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long a rebalance waits for members to rejoin, ms. Default 20,000. */
  rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for data, ms. Default 1,000: paused and resumed topics react within that. */
  maxWaitTimeMs?: number;
  /** Most bytes one fetch returns per partition: bounds a batch (and so the work between two checkpoints). Default 1 MiB. */
  maxBytesPerPartition?: number;
}

export interface ConsumerStatus {
  /** Between a successful run() and disconnect(), and not crashed for good. */
  running: boolean;
  /** Last sign of life of the consume loop (fetch, heartbeat, batch, join), epoch ms. */
  lastActivityAt: number;
  /** The error that stopped the consumer for good (kafkajs will not restart it). */
  crashed: Error | null;
}

export interface RunHooks {
  /**
   * Called synchronously on every join of the group (the first, and after each rebalance or restart of the
   * consumer), before the consumer fetches anything: kafkajs forgets seeks and pauses there, so re-apply them here.
   */
  onAssigned?(assignment: Record<string, number[]>): void;
  /** The consume loop crashed; `willRestart` says whether kafkajs restarts it (then onAssigned runs again). */
  onCrash?(error: Error, willRestart: boolean): void;
}

export interface KafkaConsumer {
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  /** Starts fetching. Offsets are never committed automatically: call `commit` once the work is durable. */
  run(handler: BatchHandler, hooks?: RunHooks): Promise<void>;
  /** Positions a partition (after `run`, or inside `onAssigned`); the next fetch starts there. */
  seek(topic: string, partition: number, offset: string): void;
  pause(topic: string): void;
  resume(topic: string): void;
  /** Commits `nextOffset` (the offset of the next message to read) for a partition. */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
  /** The earliest retained offset of each partition of a topic. */
  earliestOffsets(topic: string): Promise<Map<number, string>>;
  /** The next offset to be written (high watermark) of each partition of a topic. */
  latestOffsets(topic: string): Promise<Map<number, string>>;
  /**
   * Which of `topics` exist: ask before any per-topic call, because kafkajs remembers a topic it was asked about and
   * fails every later metadata refresh while that topic is missing (kafkajs #651).
   */
  existingTopics(topics: readonly string[]): Promise<string[]>;
  /** Committed offsets of this group for a topic. */
  committedOffsets(topic: string): Promise<Map<number, string>>;
  status(): ConsumerStatus;
  disconnect(): Promise<void>;
}

/** A kafkajs consumer in a group, with manual offset management for at-least-once processing with replay. */
export function createKafkaConsumer({
  groupId,
  exclusivePriority,
  sessionTimeoutMs = 10_000,
  heartbeatIntervalMs = 1_000,
  rebalanceTimeoutMs = 20_000,
  maxWaitTimeMs = 1_000,
  maxBytesPerPartition = 1_048_576,
  ...client
}: KafkaConsumerOptions): KafkaConsumer {
  if (typeof groupId !== 'string' || groupId.length === 0)
    throw new KafkaAdapterError('KAFKA_ERR_CONFIG', 'groupId is required');
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1 || heartbeatIntervalMs >= sessionTimeoutMs)
    throw new KafkaAdapterError('KAFKA_ERR_CONFIG', 'heartbeatIntervalMs must be below sessionTimeoutMs');
  const kafka = createKafkaClient(client);
  /** Set by disconnect(): kafkajs must not restart a consumer that crashed while (or just before) it was closed. */
  let closing = false;
  const consumer: Consumer = kafka.consumer({
    groupId,
    // kafkajs restarts a crashed consumer from a timer it arms after an await in its crash handler, so a disconnect
    // in between leaves a consumer that reconnects for ever to a broker its owner has let go of.
    retry: {
      retries: client.retries ?? 5,
      initialRetryTime: 100,
      maxRetryTime: 2_000,
      restartOnFailure: async () => !closing,
    },
    allowAutoTopicCreation: false,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    rebalanceTimeout: rebalanceTimeoutMs,
    maxWaitTimeInMs: maxWaitTimeMs,
    maxBytesPerPartition,
    ...(exclusivePriority !== undefined && { partitionAssigners: [exclusiveAssigner(exclusivePriority)] }),
  });
  const admin = kafka.admin();
  const state: ConsumerStatus = { running: false, lastActivityAt: Date.now(), crashed: null };
  const alive = () => {
    state.lastActivityAt = Date.now();
  };
  const { FETCH_START, FETCH, HEARTBEAT, START_BATCH_PROCESS, END_BATCH_PROCESS } = consumer.events;
  for (const e of [FETCH_START, FETCH, HEARTBEAT, START_BATCH_PROCESS, END_BATCH_PROCESS]) consumer.on(e, alive);

  return {
    async connect() {
      await Promise.all([consumer.connect(), admin.connect()]);
    },
    async subscribe(topics) {
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    },
    async run(handler, hooks = {}) {
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        alive();
        hooks.onAssigned?.(e.payload.memberAssignment);
      });
      consumer.on(consumer.events.CRASH, (e) => {
        const { error, restart } = e.payload;
        if (!restart) {
          state.crashed = error;
          state.running = false;
        }
        hooks.onCrash?.(error, restart);
      });
      state.running = true;
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
          const last = await handler(messages, {
            // kafkajs sets it on every batch but leaves it out of its type declarations.
            fetchedOffset: (batch as unknown as { fetchedOffset?: string }).fetchedOffset ?? messages[0]?.offset ?? '0',
            highWatermark: batch.highWatermark,
            shouldContinue: () => isRunning() && !isStale(),
            heartbeat,
          });
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
    async existingTopics(topics) {
      const present = new Set(await admin.listTopics());
      return topics.filter((t) => present.has(t));
    },
    async latestOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((p) => [p.partition, p.high]));
    },
    async committedOffsets(topic) {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
    },
    status: () => ({ ...state }),
    async disconnect() {
      closing = true;
      state.running = false;
      try {
        await consumer.disconnect();
      } finally {
        await admin.disconnect();
      }
    },
  };
}
