export { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, parseBrokerList, parseKafkaClient } from './clients';
export type { KafkaClientName, KafkaClientOptions, KafkaLogger } from './clients';
export { createKafkaClient } from './kafkajs/client';
export { dropNegativeTimeoutWarnings } from './kafkajs/timer-warnings';
export { createKafkaProducer } from './producer';
export type { KafkaProducer, KafkaProducerOptions } from './producer';
export { createKafkaAdmin, ensureTopics, shardTopics } from './admin';
export type { ShardTopicOptions, TopicSpec } from './admin';
export type { KafkaAdmin, PartitionOffsets, TopicDescription } from './driver';
export { KAFKA_ERROR_CODES, KafkaAdapterError } from './errors';
export type { KafkaErrorCode } from './errors';
export { createKafkaConsumer } from './consumer';
export type {
  BatchControl,
  BatchHandler,
  ConsumedMessage,
  ConsumerStatus,
  KafkaConsumer,
  KafkaConsumerOptions,
  MessageHeaders,
  RunHooks,
} from './consumer';
export { EXCLUSIVE_ASSIGNER, pickExclusiveMember } from './exclusive';
export { exclusiveAssigner } from './kafkajs/exclusive-assigner';
export { groupLag } from './group-lag';
