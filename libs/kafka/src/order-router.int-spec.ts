import { type Command, decodeCommand } from '@shardex/contracts';
import { placeOrder } from '@shardex/contracts/testing';
import { createOrderRouter, createShardMap, type ShardMap } from '@shardex/order-router';
import { createTestKafka, createTestTopics, getTestInfra, type TestTopics } from '@shardex/testing';
import type { Admin } from 'kafkajs';
import { ensureTopics, shardTopics } from './admin';
import { createKafkaProducer, type KafkaProducer } from './producer';

// The router through the kafkajs adapter against a real broker (auto topic creation off): where broadcasts land,
// what a missing topic does to one shard, and per-symbol order of routed orders.

const start: Command = { commandId: 'start-42', code: 'START_ENGINE', issuedAt: 1, payload: { reason: 'test' } };
const ROLES = ['input', 'preload', 'output', 'dlq'] as const;

let admin: Admin;
let producer: KafkaProducer;

// One producer for the whole file, on purpose: each test deletes its topics, and the producer must keep working
// for the next test's new ones (kafkajs alone would not). The inspecting admin is fresh per test for the same reason.
beforeAll(async () => {
  // kafkajs logs every failed request of the missing-topic test; kept out of the test output.
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  producer = createKafkaProducer({
    brokers: getTestInfra().kafkaBrokers,
    clientId: 'router-spec',
    retries: 2,
    logger: quiet,
  });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
});

beforeEach(async () => {
  admin = createTestKafka('router-spec').admin();
  await admin.connect();
});

afterEach(async () => {
  await admin?.disconnect();
});

/** Unique real topics for `n` shards (optionally leaving some out) and the shard map naming them. */
async function shardsWithTopics(
  n: number,
  partitions: number,
  skip: string[] = [],
): Promise<{ topics: TestTopics; map: ShardMap }> {
  const logical = Array.from({ length: n }, (_, i) => ROLES.map((r) => `shard-${i + 1}-${r}`)).flat();
  const topics = await createTestTopics(logical.filter((t) => !skip.includes(t)).map((name) => ({ name, partitions })));
  const real = (name: string) =>
    skip.includes(name) ? `${topics.name(logical[0] as string)}-missing-${name}` : topics.name(name);
  const map = createShardMap({
    shards: Array.from({ length: n }, (_, i) => ({
      shardId: `shard-${i + 1}`,
      kafkaInputTopic: real(`shard-${i + 1}-input`),
      kafkaPreloadTopic: real(`shard-${i + 1}-preload`),
      kafkaOutputTopic: real(`shard-${i + 1}-output`),
      kafkaDlqTopic: real(`shard-${i + 1}-dlq`),
    })),
  });
  return { topics, map };
}

/** Messages in a topic, from its offsets (exact, no waiting for a consumer). */
async function messageCount(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

async function readAll(
  topic: string,
  expected: number,
): Promise<Array<{ key: string; value: string; partition: number; headers: Record<string, Buffer | string> }>> {
  const consumer = createTestKafka('router-spec-reader').consumer({ groupId: `reader-${topic}` });
  const out: Array<{ key: string; value: string; partition: number; headers: Record<string, Buffer | string> }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${out.length}/${expected} messages from ${topic}`)),
        60_000,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              out.push({
                key: m.key?.toString() ?? '',
                value: m.value?.toString() ?? '',
                partition: batch.partition,
                headers: m.headers as Record<string, Buffer>,
              });
            }
            if (out.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([`reader-${topic}`]).catch(() => undefined);
  }
  return out;
}

describe('order router on real Kafka', () => {
  it('broadcast with usePreloadTopic lands exactly once on every preload topic and nowhere else', async () => {
    const { topics, map } = await shardsWithTopics(3, 1);
    try {
      const router = createOrderRouter({ shardMap: map, producer });
      const results = await router.broadcastToAllShards(start, { usePreloadTopic: true });
      expect(results.map((r) => [r.shardId, r.success])).toEqual([
        ['shard-1', true],
        ['shard-2', true],
        ['shard-3', true],
      ]);
      for (const s of map.shards) {
        expect(await messageCount(s.kafkaPreloadTopic)).toBe(1);
        for (const other of [s.kafkaInputTopic, s.kafkaOutputTopic, s.kafkaDlqTopic])
          expect(await messageCount(other)).toBe(0);
        const [message] = await readAll(s.kafkaPreloadTopic, 1);
        expect(decodeCommand(message as never)).toEqual({ ok: true, value: start });
      }
    } finally {
      await topics.drop();
    }
  });

  it('broadcast without the preload topic lands once on every input topic', async () => {
    const { topics, map } = await shardsWithTopics(3, 1);
    try {
      const results = await createOrderRouter({ shardMap: map, producer }).broadcastToAllShards(start, {
        usePreloadTopic: false,
      });
      expect(results.every((r) => r.success)).toBe(true);
      for (const s of map.shards) {
        expect(await messageCount(s.kafkaInputTopic)).toBe(1);
        expect(await messageCount(s.kafkaPreloadTopic)).toBe(0);
      }
    } finally {
      await topics.drop();
    }
  });

  it('reports the shard whose topic does not exist as failed and delivers to the rest', async () => {
    const { topics, map } = await shardsWithTopics(3, 1, ['shard-2-preload']);
    try {
      const results = await createOrderRouter({ shardMap: map, producer }).broadcastToAllShards(start);
      expect(results.map((r) => [r.shardId, r.success])).toEqual([
        ['shard-1', true],
        ['shard-2', false],
        ['shard-3', true],
      ]);
      expect(results[1]?.error).toMatch(/KAFKA_ERR_SEND/);
      expect(await messageCount(map.shard('shard-1').kafkaPreloadTopic)).toBe(1);
      expect(await messageCount(map.shard('shard-3').kafkaPreloadTopic)).toBe(1);
      expect(await admin.listTopics()).not.toContain(map.shard('shard-2').kafkaPreloadTopic); // not auto-created
    } finally {
      await topics.drop();
    }
  });

  it('routes 10,000 orders over 4 shards, each to its owner’s input topic, in per-symbol order', async () => {
    const { topics, map } = await shardsWithTopics(4, 3);
    try {
      const router = createOrderRouter({ shardMap: map, producer });
      const SYMBOLS = 50;
      const PER_SYMBOL = 200;
      // Issued in stream order without waiting for each: per-symbol order must survive batching and retries.
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < SYMBOLS * PER_SYMBOL; i++) {
        const symbol = `SYM${i % SYMBOLS}-USD`;
        sends.push(
          router.sendToShard(
            placeOrder({ orderId: `${symbol}.${Math.floor(i / SYMBOLS)}`, symbol, price: '1', quantity: '1' }),
          ),
        );
      }
      await Promise.all(sends);

      const seen = new Map<string, number[]>();
      let total = 0;
      for (const shard of map.shards) {
        const count = await messageCount(shard.kafkaInputTopic);
        total += count;
        for (const m of await readAll(shard.kafkaInputTopic, count)) {
          const decoded = decodeCommand(m as never);
          if (!decoded.ok || decoded.value.code !== 'PLACE_ORDER')
            throw new Error(`undecodable message on ${shard.shardId}`);
          const { symbol, orderId } = decoded.value.payload;
          expect(map.route(symbol).shardId).toBe(shard.shardId);
          expect(m.key).toBe(symbol);
          seen.set(symbol, [...(seen.get(symbol) ?? []), Number(orderId.split('.')[1])]);
        }
      }
      expect(total).toBe(SYMBOLS * PER_SYMBOL);
      const inOrder = Array.from({ length: PER_SYMBOL }, (_, i) => i);
      for (const [symbol, seqs] of seen) expect({ symbol, seqs }).toEqual({ symbol, seqs: inOrder });
      expect(new Set([...seen.keys()].map((s) => map.route(s).shardId)).size).toBe(4);
    } finally {
      await topics.drop();
    }
  });

  it('ensureTopics creates a shard map’s topics with their partitions and retention, and is idempotent', async () => {
    const names = await createTestTopics([{ name: 'probe' }]); // a unique prefix for this map's topics
    const prefix = names.name('probe');
    const map = createShardMap({
      shards: [
        {
          shardId: 'a',
          kafkaInputTopic: `${prefix}-a-input`,
          kafkaOutputTopic: `${prefix}-a-output`,
          kafkaDlqTopic: `${prefix}-a-dlq`,
        },
      ],
    });
    const specs = shardTopics(map, { partitions: 4, retentionMs: 3_600_000 });
    try {
      const first = await ensureTopics({ brokers: getTestInfra().kafkaBrokers }, specs);
      expect(first.created.sort()).toEqual(specs.map((s) => s.topic).sort());
      const again = await ensureTopics({ brokers: getTestInfra().kafkaBrokers }, specs);
      expect(again).toEqual({ created: [], existing: specs.map((s) => s.topic) });
      const meta = await admin.fetchTopicMetadata({
        topics: [map.shard('a').kafkaInputTopic, map.shard('a').kafkaOutputTopic, map.shard('a').kafkaPreloadTopic],
      });
      expect(Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]))).toEqual({
        [map.shard('a').kafkaInputTopic]: 1,
        [map.shard('a').kafkaOutputTopic]: 4,
        [map.shard('a').kafkaPreloadTopic]: 1,
      });
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* TOPIC */, name: map.shard('a').kafkaInputTopic, configNames: ['retention.ms'] }],
      });
      expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('3600000');
      await expect(
        ensureTopics({ brokers: getTestInfra().kafkaBrokers }, [
          { ...(specs[0] as (typeof specs)[number]), partitions: 8 },
        ]),
      ).rejects.toMatchObject({
        code: 'KAFKA_ERR_TOPIC',
      });
      // Existing topics with fewer replicas than asked are refused, not passed as if durable.
      await expect(
        ensureTopics({ brokers: getTestInfra().kafkaBrokers }, [
          { ...(specs[0] as (typeof specs)[number]), replicationFactor: 3 },
        ]),
      ).rejects.toMatchObject({
        code: 'KAFKA_ERR_TOPIC',
        message: expect.stringMatching(/has 1 replica per partition, 3 required/),
      });
    } finally {
      await admin.deleteTopics({ topics: specs.map((s) => s.topic) }).catch(() => undefined);
      await names.drop();
    }
  });
});
