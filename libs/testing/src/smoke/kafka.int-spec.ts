import type { Consumer, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { createTestKafka, createTestTopics, type TestTopics } from '../kafka-topics';
import { uniqueSuffix } from '../names';

// Proves the broker is a real Kafka: partitions, keyed partitioning, consumer groups and per-partition order.
describe('Kafka smoke (real broker)', () => {
  const KEYS = 50;
  const PER_KEY = 200; // 50 × 200 = 10,000 messages
  let topics: TestTopics;
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    topics = await createTestTopics([{ name: 'orders', partitions: 3 }]);
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await topics?.drop();
  });

  it('delivers 10,000 keyed messages over 3 partitions, each key in order on one partition', async () => {
    const topic = topics.name('orders');
    const kafka = createTestKafka('smoke');
    producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // Interleave keys the way real order flow does, in batches.
    const all = Array.from({ length: KEYS * PER_KEY }, (_, i) => ({
      key: `sym-${i % KEYS}`,
      seq: Math.floor(i / KEYS),
    }));
    for (let i = 0; i < all.length; i += 1000) {
      await producer.send({
        topic,
        acks: -1,
        messages: all.slice(i, i + 1000).map((m) => ({ key: m.key, value: JSON.stringify(m) })),
      });
    }

    const seen = new Map<string, number[]>();
    const partitionsOfKey = new Map<string, Set<number>>();
    let received = 0;
    consumer = kafka.consumer({ groupId: `smoke-${uniqueSuffix()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received} of ${all.length} messages arrived`)), 90_000);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const key = message.key?.toString() ?? '';
              const body = JSON.parse(message.value?.toString() ?? '{}') as { key: string; seq: number };
              expect(body.key).toBe(key);
              seen.set(key, [...(seen.get(key) ?? []), body.seq]);
              partitionsOfKey.set(key, (partitionsOfKey.get(key) ?? new Set()).add(batch.partition));
              received += 1;
            }
            if (received >= all.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });

    expect(received).toBe(KEYS * PER_KEY);
    expect(seen.size).toBe(KEYS);
    const inOrder = Array.from({ length: PER_KEY }, (_, i) => i);
    for (const [key, seqs] of seen) {
      expect({ key, seqs }).toEqual({ key, seqs: inOrder });
      expect(partitionsOfKey.get(key)?.size).toBe(1);
    }
    const partitionsUsed = new Set([...partitionsOfKey.values()].flatMap((s) => [...s]));
    expect([...partitionsUsed].sort()).toEqual([0, 1, 2]);
  });
});
