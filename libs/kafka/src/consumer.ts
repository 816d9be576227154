import type { KafkaClientOptions } from './clients';
import { kafkaDriver } from './drivers';
import { KafkaAdapterError } from './errors';

/** A record's headers as the broker returned them (a repeated name gives an array). */
export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export interface ConsumedMessage {
  topic: string;
  partition: number;
  /** Kafka offset (a decimal string). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: MessageHeaders;
}

export interface BatchControl {
  /**
   * The offset the fetch of this batch started from. Above the position the handler expects, it means the
   * consumer jumped ahead on its own (the client resets to the earliest offset when the position fell to retention):
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
   * highest priority (a shard's lease epoch). Without it, the client's round-robin spreads partitions over members.
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
  /** The error that stopped the consumer for good (the client will not restart it). */
  crashed: Error | null;
}

export interface RunHooks {
  /**
   * Called synchronously on every join of the group (the first, and after each rebalance or restart of the
   * consumer), before the consumer fetches anything: a client may forget seeks and pauses there (kafkajs does), so re-apply them here.
   */
  onAssigned?(assignment: Record<string, number[]>): void;
  /** The consume loop crashed; `willRestart` says whether the client restarts it (then onAssigned runs again). */
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
   * Which of `topics` exist: ask before any per-topic call, because a client may remember a topic it was asked about
   * and fail every later metadata refresh while that topic is missing (kafkajs #651).
   */
  existingTopics(topics: readonly string[]): Promise<string[]>;
  /** Committed offsets of this group for a topic. */
  committedOffsets(topic: string): Promise<Map<number, string>>;
  status(): ConsumerStatus;
  disconnect(): Promise<void>;
}

/**
 * A consumer in a group on the options' Kafka client library, with manual offset management for at-least-once
 * processing with replay.
 */
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
  if (exclusivePriority !== undefined && (!Number.isSafeInteger(exclusivePriority) || exclusivePriority < 0))
    throw new RangeError(`priority must be a non-negative safe integer, got ${exclusivePriority}`);
  return kafkaDriver(client).consumer({
    ...client,
    groupId,
    exclusivePriority,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs,
    maxWaitTimeMs,
    maxBytesPerPartition,
  });
}

/** Consumer options as a driver gets them: checked, every default filled in (once, here, for every client). */
export type ResolvedConsumerOptions = Required<
  Omit<KafkaConsumerOptions, keyof KafkaClientOptions | 'exclusivePriority'>
> &
  Pick<KafkaConsumerOptions, 'exclusivePriority'> &
  KafkaClientOptions;
