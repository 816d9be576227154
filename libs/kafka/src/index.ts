export { createKafkaClient, parseBrokerList } from './client';
export { dropNegativeTimeoutWarnings } from './timer-warnings';
export type { KafkaClientOptions, KafkaLogger } from './client';
export { createKafkaProducer } from './producer';
export type { KafkaProducer, KafkaProducerOptions } from './producer';
export { ensureTopics, shardTopics } from './admin';
export type { ShardTopicOptions, TopicSpec } from './admin';
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
  RunHooks,
} from './consumer';
export { EXCLUSIVE_ASSIGNER, exclusiveAssigner, pickExclusiveMember } from './exclusive-assigner';
export { groupLag } from './group-lag';
