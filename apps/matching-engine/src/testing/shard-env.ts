import {
  createTestDatabase,
  createTestTopics,
  getTestInfra,
  type TestDatabase,
  type TestTopics,
} from '@shardex/testing';

/** A shard's own unique topics and database, and the environment a shard process needs to run on them. */
export interface ShardUnderTest {
  topics: TestTopics;
  tdb: TestDatabase;
  env: Record<string, string>;
  /** Its consumer group (`<CONSUMER_GROUP_PREFIX>-shard-1`), unique like its topics. */
  group: string;
}

export async function createShardUnderTest(
  label: string,
  extraEnv: Record<string, string> = {},
): Promise<ShardUnderTest> {
  const topics = await createTestTopics(['input', 'preload', { name: 'output', partitions: 2 }, 'dlq']);
  const tdb = await createTestDatabase(label);
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
    KAFKA_BROKERS: getTestInfra().kafkaBrokers.join(','),
    MYSQL_URL: tdb.url,
    SHARD_MAP: JSON.stringify({ shards: [shard] }),
    HTTP_PORT: '0',
    CONSUMER_GROUP_PREFIX: prefix,
    WRITE_FLUSH_MS: '20',
    ...extraEnv,
  };
  return { topics, tdb, env, group };
}
