import { createTestKafka, createTestTopics, deleteTopics, getTestInfra, type TestTopics } from '@shardex/testing';
import { createKafkaProducer } from './index';

// The producer adapter on a real broker: batches bounded in bytes, fail-fast, and its self-replacement after a
// topic is deleted under it (kafkajs would otherwise fail every later send, to any topic).

async function count(topic: string): Promise<number> {
  const admin = createTestKafka('producer-spec-admin').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('kafka producer (real broker)', () => {
  let topics: TestTopics;
  beforeAll(async () => {
    topics = await createTestTopics(['big', 'ok', 'doomed']);
  });
  afterAll(async () => {
    await topics?.drop();
  });

  it('splits a topic’s batch by bytes, so many large records never make one request the broker refuses', async () => {
    const producer = createKafkaProducer({ brokers: getTestInfra().kafkaBrokers, lingerMs: 50 });
    await producer.connect();
    try {
      const value = 'x'.repeat(100_000);
      // 30 × 100 KB: in one produce request (the 500-record batch) that is 3 MB, past the broker's 1 MiB limit.
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          producer.send({ topic: topics.name('big'), key: `k${i}`, value, headers: {} }),
        ),
      );
      expect(await count(topics.name('big'))).toBe(30);
    } finally {
      await producer.disconnect();
    }
  });

  it('with failFast, sends nothing after a failure: later records fail with it, unsent', async () => {
    const producer = createKafkaProducer({ brokers: getTestInfra().kafkaBrokers, failFast: true });
    await producer.connect();
    try {
      const before = await count(topics.name('ok'));
      await expect(
        producer.send({ topic: `${topics.name('ok')}-missing`, key: 'k', value: 'v', headers: {} }),
      ).rejects.toMatchObject({ code: 'KAFKA_ERR_SEND' });
      await expect(
        producer.send({ topic: topics.name('ok'), key: 'k', value: 'v', headers: {} }),
      ).rejects.toMatchObject({
        code: 'KAFKA_ERR_SEND',
      });
      await expect(producer.flush()).rejects.toMatchObject({ code: 'KAFKA_ERR_SEND' });
      expect(await count(topics.name('ok'))).toBe(before);
    } finally {
      await producer.disconnect();
    }
  });

  it('replaces itself after a topic is deleted under it, and goes on sending to the others', async () => {
    const producer = createKafkaProducer({ brokers: getTestInfra().kafkaBrokers });
    await producer.connect();
    try {
      await producer.send({ topic: topics.name('doomed'), key: 'k', value: 'before', headers: {} });
      await deleteTopics([topics.name('doomed')]);
      await expect(
        producer.send({ topic: topics.name('doomed'), key: 'k', value: 'after', headers: {} }),
      ).rejects.toMatchObject({ code: 'KAFKA_ERR_SEND' });
      const before = await count(topics.name('ok'));
      for (let i = 0; i < 3; i++)
        await producer.send({ topic: topics.name('ok'), key: 'k', value: `still-${i}`, headers: {} });
      expect(await count(topics.name('ok'))).toBe(before + 3);
    } finally {
      await producer.disconnect();
    }
  });
});
