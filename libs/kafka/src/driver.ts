import type { KafkaClientOptions } from './clients';
import type { KafkaConsumer, ResolvedConsumerOptions } from './consumer';

// What one client library must provide for the ports. Batching, fail-fast, circuits and topic checks live above it
// (producer.ts, admin.ts) and so behave the same whichever client carries the requests.

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Readonly<Record<string, string>>;
}

/** Sends batches for the batching producer. */
export interface ProduceTransport {
  /** Connects, so a broker that is not there fails here rather than on the first send. */
  connect(): Promise<void>;
  /**
   * Sends one batch to one topic, keyed with murmur2 (Java's and kafkajs' partitioner, so a key keeps its partition
   * whichever client wrote it), idempotently, acknowledged by all in-sync replicas; resolves once every record is
   * acknowledged and rejects if any is not (after the client's own retries). Batches handed over one after another
   * keep their order per partition. A topic that does not exist is an error, never created.
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface TopicDescription {
  name: string;
  partitions: { partition: number; replicas: number }[];
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest retained offset. */
  low: string;
  /** The offset the next record will get (high watermark). */
  high: string;
}

export interface NewTopic {
  topic: string;
  partitions: number;
  replicationFactor: number;
  configEntries: Readonly<Record<string, string>>;
}

/** The cluster questions the ports ask. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Partitions (in order) and replica counts of existing topics (ask listTopics first: a missing one is an error). */
  describeTopics(topics: readonly string[]): Promise<TopicDescription[]>;
  /** Creates the topics and waits until each partition has a leader. */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The group's committed offsets for a topic's partitions (partitions without a commit are left out or "-1"). */
  groupOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  disconnect(): Promise<void>;
}

export interface KafkaDriver {
  transport(options: KafkaClientOptions): ProduceTransport;
  admin(options: KafkaClientOptions): KafkaAdmin;
  consumer(options: ResolvedConsumerOptions): KafkaConsumer;
}
