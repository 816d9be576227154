export {
  getTestInfra,
  infraFromEnv,
  parseKafkaBrokers,
  parseMysqlUrl,
  ENV_KAFKA,
  ENV_MYSQL,
  ENV_PROVIDER,
  ENV_RUN_ID,
  ENV_KAFKA_CLIENT,
  kafkaClientEnv,
} from './test-infra';
export type { InfraSource, MysqlServer, ProvidedInfra, TestInfra } from './test-infra';
export { provideTestInfra, KAFKA_IMAGE, MYSQL_IMAGE } from './provide-infra';
export { createTestKafka, createTestTopics, deleteTopics } from './kafka-topics';
export type { TestTopics, TopicSpec } from './kafka-topics';
export { connectTestMysql, createTestDatabase, dropDatabases } from './mysql-database';
export type { MysqlInfra, TestDatabase } from './mysql-database';
export { sweepRun } from './sweep';
export type { SweepResult } from './sweep';
export { startDedicatedKafka } from './dedicated-kafka';
export type { DedicatedKafka, DedicatedKafkaOptions } from './dedicated-kafka';
export { startDedicatedMysql } from './dedicated-mysql';
export type { DedicatedMysql, DedicatedMysqlOptions } from './dedicated-mysql';
export { createTcpProxy } from './tcp-proxy';
export type { TcpProxy } from './tcp-proxy';
export { TESTING_ERROR_CODES, TestingError } from './errors';
export type { TestingErrorCode } from './errors';
