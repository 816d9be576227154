import {
  createTestDatabase,
  createTestTopics,
  getTestInfra,
  type TestDatabase,
  type TestInfra,
  type TestTopics,
  kafkaClientEnv,
} from '@shardex/testing';

/** A shard's own unique topics and database, and the environment a shard process needs to run on them. */
export interface ShardUnderTest {
  infra: TestInfra;
  topics: TestTopics;
  tdb: TestDatabase;
  env: Record<string, string>;
  /** Its consumer group (`<CONSUMER_GROUP_PREFIX>-shard-1`), unique like its topics. */
  group: string;
}

/** `infra` defaults to the run's shared broker and server; a fault test passes its dedicated broker instead. */
export async function createShardUnderTest(
  label: string,
  extraEnv: Record<string, string> = {},
  infra: TestInfra = getTestInfra(),
): Promise<ShardUnderTest> {
  const topics = await createTestTopics(['input', 'preload', { name: 'output', partitions: 2 }, 'dlq'], infra);
  const tdb = await createTestDatabase(label, infra);
  const prefix = `${label}-${topics.name('input')}`;
  const group = `${prefix}-shard-1`;
  const shard = {
    shardId: 'shard-1',
    kafkaInputTopic: topics.name('input'),
    kafkaPreloadTopic: topics.name('preload'),
    kafkaOutputTopic: topics.name('output'),
    kafkaDlqTopic: topics.name('dlq'),
  };
  const env = {
    SHARD_ID: 'shard-1',
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    ...kafkaClientEnv(),
    MYSQL_URL: tdb.url,
    SHARD_MAP: JSON.stringify({ shards: [shard] }),
    HTTP_PORT: '0',
    CONSUMER_GROUP_PREFIX: prefix,
    WRITE_FLUSH_MS: '20',
    ...extraEnv,
  };
  return { infra, topics, tdb, env, group };
}
