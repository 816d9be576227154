import type { KafkaConsumer } from '@shardex/kafka';

/**
 * What the feed needs of a Kafka consumer: libs/kafka's `createKafkaConsumer` satisfies it, and tests pass an
 * in-memory fake (`./testing`). The feed never commits, so `commit` is not part of it.
 */
export type EventConsumerPort = Pick<
  KafkaConsumer,
  'connect' | 'subscribe' | 'run' | 'seek' | 'earliestOffsets' | 'latestOffsets' | 'status' | 'disconnect'
>;
