import { createTestKafka, createTestTopics, deleteTopics, getTestInfra, type TestTopics } from '@shardex/testing';
import { Partitioners } from 'kafkajs';
import {
  type ConsumedMessage,
  createKafkaAdmin,
  createKafkaConsumer,
  createKafkaProducer,
  ensureTopics,
  KAFKA_CLIENTS,
  type KafkaClientName,
  type KafkaConsumer,
  type KafkaConsumerOptions,
} from './index';

// The ports' contract on a real broker, run once per client library: every adapter must pass all of it before it
// may be chosen by KAFKA_CLIENT. The engine's and the system's fault tests run per client as well.

const only = process.env['SHARDEX_TEST_KAFKA_CLIENTS'];
const clients = KAFKA_CLIENTS.filter((c) => !only || only.split(',').includes(c));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function waitFor(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every record of a topic, read with a plain kafkajs consumer (the reference reader), per partition in order. */
async function readAll(topic: string, expected: number): Promise<ConsumedMessage[]> {
  const kafka = createTestKafka('ports-spec-reader');
  const consumer = kafka.consumer({ groupId: `ports-spec-reader-${Date.now()}-${Math.random()}` });
  const out: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
        });
      },
    });
    await waitFor(`${expected} records on ${topic}`, () => out.length >= expected);
    await new Promise((r) => setTimeout(r, 300)); // anything beyond `expected` (a duplicate) arrives too
    return out;
  } finally {
    await consumer.disconnect();
  }
}

describe.each(clients)('Kafka ports on %s (real broker)', (client: KafkaClientName) => {
  const brokers = getTestInfra().kafkaBrokers;
  let topics: TestTopics;
  const open: Array<{ disconnect(): Promise<void> }> = [];
  const consumer = (o: Partial<KafkaConsumerOptions> & { groupId: string }): KafkaConsumer => {
    const c = createKafkaConsumer({ brokers, client, logger: quiet, maxWaitTimeMs: 200, ...o });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    topics = await createTestTopics([
      { name: 'keyed', partitions: 6 },
      'big',
      'ok',
      'doomed',
      'seek',
      { name: 'a', partitions: 2 },
      'b',
      'commit',
      'tx',
    ]);
  });
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.disconnect().catch(() => undefined);
  });
  afterAll(async () => {
    await topics?.drop();
  });

  it('producer: every record exactly once, each key on its murmur2 partition and in order, headers kept', async () => {
    const producer = createKafkaProducer({ brokers, client, logger: quiet, lingerMs: 5, maxBatchRecords: 100 });
    await producer.connect();
    open.push(producer);
    const keys = Array.from({ length: 20 }, (_, i) => `SYM-${i}`);
    const perKey = 100;
    const sends: Promise<void>[] = [];
    for (let n = 0; n < perKey; n++)
      for (const key of keys)
        sends.push(
          producer.send({ topic: topics.name('keyed'), key, value: `${key}:${n}`, headers: { n: String(n) } }),
        );
    await Promise.all(sends);
    await producer.flush();
    const read = await readAll(topics.name('keyed'), keys.length * perKey);
    expect(read).toHaveLength(keys.length * perKey);
    // The partition kafkajs' DefaultPartitioner (Java's murmur2) gives each key: a key never moves when the client does.
    const murmur2 = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, p) => ({
      partitionId: p,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (const key of keys) {
      const mine = read.filter((m) => m.key?.toString() === key);
      const expected = murmur2({ topic: topics.name('keyed'), partitionMetadata, message: { key, value: null } });
      expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([expected]));
      expect(mine.map((m) => m.value?.toString())).toEqual(Array.from({ length: perKey }, (_, n) => `${key}:${n}`));
      expect(mine.map((m) => String(m.headers['n']))).toEqual(Array.from({ length: perKey }, (_, n) => String(n)));
    }
  });

  it('producer: splits a batch by bytes, so large records never make one request the broker refuses', async () => {
    const producer = createKafkaProducer({ brokers, client, logger: quiet, lingerMs: 50 });
    await producer.connect();
    open.push(producer);
    const value = 'x'.repeat(100_000);
    // 30 × 100 KB: in one produce request (the 500-record batch) that is 3 MB, past the broker's 1 MiB limit.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        producer.send({ topic: topics.name('big'), key: `k${i}`, value, headers: {} }),
      ),
    );
    expect(await readAll(topics.name('big'), 30)).toHaveLength(30);
  });

  it('producer: a missing topic fails its records (and opens its circuit), other topics go on; failFast stops all', async () => {
    const producer = createKafkaProducer({ brokers, client, logger: quiet, openCircuitMs: 60_000, retries: 2 });
    await producer.connect();
    open.push(producer);
    const missing = `${topics.name('ok')}-missing`;
    await expect(producer.send({ topic: missing, key: 'k', value: 'v', headers: {} })).rejects.toMatchObject({
      code: 'KAFKA_ERR_SEND',
    });
    await expect(producer.send({ topic: missing, key: 'k', value: 'v', headers: {} })).rejects.toMatchObject({
      code: 'KAFKA_ERR_NOT_SENT',
    });
    await expect(producer.flush()).rejects.toMatchObject({ code: 'KAFKA_ERR_SEND' });
    for (let i = 0; i < 3; i++)
      await producer.send({ topic: topics.name('ok'), key: 'k', value: `ok-${i}`, headers: {} });
    await producer.flush();

    const failing = createKafkaProducer({ brokers, client, logger: quiet, failFast: true, retries: 2 });
    await failing.connect();
    open.push(failing);
    await expect(failing.send({ topic: missing, key: 'k', value: 'v', headers: {} })).rejects.toMatchObject({
      code: 'KAFKA_ERR_SEND',
    });
    await expect(
      failing.send({ topic: topics.name('ok'), key: 'k', value: 'never', headers: {} }),
    ).rejects.toMatchObject({
      code: 'KAFKA_ERR_SEND',
    });
    const read = await readAll(topics.name('ok'), 3);
    expect(read.map((m) => m.value?.toString())).toEqual(['ok-0', 'ok-1', 'ok-2']);
  });

  it('producer: goes on sending to other topics after one is deleted under it', async () => {
    const producer = createKafkaProducer({ brokers, client, logger: quiet, retries: 2 });
    await producer.connect();
    open.push(producer);
    await producer.send({ topic: topics.name('doomed'), key: 'k', value: 'before', headers: {} });
    await deleteTopics([topics.name('doomed')]);
    await expect(
      producer.send({ topic: topics.name('doomed'), key: 'k', value: 'after', headers: {} }),
    ).rejects.toMatchObject({
      code: 'KAFKA_ERR_SEND',
    });
    for (let i = 0; i < 3; i++)
      await producer.send({ topic: topics.name('seek'), key: 'k', value: `v${i}`, headers: {} });
    expect(await readAll(topics.name('seek'), 3)).toHaveLength(3);
  });

  it('producer: connect fails when no broker answers', async () => {
    const producer = createKafkaProducer({
      brokers: ['127.0.0.1:1'],
      client,
      logger: quiet,
      retries: 1,
      connectionTimeoutMs: 500,
      requestTimeoutMs: 2_000,
    });
    await expect(producer.connect()).rejects.toBeDefined();
    await producer.disconnect().catch(() => undefined);
  });

  it('consumer: seeks in onAssigned, reports fetch offsets and the high watermark, commits only what it is told', async () => {
    const topic = topics.name('commit');
    const producer = createKafkaProducer({ brokers, client, logger: quiet });
    await producer.connect();
    open.push(producer);
    for (let i = 0; i < 10; i++) await producer.send({ topic, key: 'k', value: `m${i}`, headers: {} });
    await producer.flush();

    const groupId = `ports-spec-commit-${client}-${Date.now()}`;
    const c = consumer({ groupId });
    await c.connect();
    expect(await c.existingTopics([topic, `${topic}-nope`])).toEqual([topic]);
    expect(await c.earliestOffsets(topic)).toEqual(new Map([[0, '0']]));
    expect(await c.latestOffsets(topic)).toEqual(new Map([[0, '10']]));
    await c.subscribe([topic]);
    const got: string[] = [];
    const controls: Array<{ fetchedOffset: string; highWatermark?: string; first: string }> = [];
    await c.run(
      async (messages, control) => {
        controls.push({
          fetchedOffset: control.fetchedOffset,
          highWatermark: control.highWatermark,
          first: messages[0]?.offset ?? '',
        });
        for (const m of messages) got.push(`${m.offset}:${m.value?.toString()}`);
        return messages.at(-1)?.offset;
      },
      { onAssigned: () => c.seek(topic, 0, '4') },
    );
    await waitFor('messages 4..9', () => got.length >= 6);
    expect(got.slice(0, 6)).toEqual(['4:m4', '5:m5', '6:m6', '7:m7', '8:m8', '9:m9']);
    expect(controls[0]).toMatchObject({ fetchedOffset: '4', first: '4', highWatermark: '10' });
    expect(c.status()).toMatchObject({ running: true, crashed: null });
    // Nothing is committed on its own.
    expect((await c.committedOffsets(topic)).get(0) ?? '-1').toBe('-1');
    await c.commit(topic, 0, '7');
    expect(await c.committedOffsets(topic)).toEqual(new Map([[0, '7']]));
    await c.disconnect();
    expect(c.status().running).toBe(false);
    // Another member of the group starts where the commit says.
    const again = consumer({ groupId });
    await again.connect();
    await again.subscribe([topic]);
    const second: string[] = [];
    await again.run(async (messages) => {
      for (const m of messages) second.push(m.offset);
      return messages.at(-1)?.offset;
    });
    await waitFor('the rest after the commit', () => second.length >= 3);
    expect(second).toEqual(['7', '8', '9']);
  });

  it('consumer: reads committed transactions only, across several aborted ones of one producer', async () => {
    const topic = topics.name('tx');
    const kafka = createTestKafka('ports-spec-tx');
    const tx = kafka.producer({ transactionalId: `ports-spec-${client}-${Date.now()}`, maxInFlightRequests: 1 });
    await tx.connect();
    try {
      for (const [values, outcome] of [
        [['c1'], 'commit'],
        [['a1', 'a2'], 'abort'],
        [['c2'], 'commit'],
        [['a3'], 'abort'],
        [['c3', 'c4'], 'commit'],
      ] as const) {
        const t = await tx.transaction();
        await t.send({ topic, messages: values.map((value) => ({ key: 'k', value })) });
        await (outcome === 'commit' ? t.commit() : t.abort());
      }
    } finally {
      await tx.disconnect();
    }
    const c = consumer({ groupId: `ports-spec-tx-${client}-${Date.now()}` });
    await c.connect();
    await c.subscribe([topic]);
    const values: string[] = [];
    let reached = '';
    await c.run(async (messages, control) => {
      for (const m of messages) values.push(m.value?.toString() ?? '');
      reached = control.highWatermark ?? '';
      return messages.at(-1)?.offset;
    });
    await waitFor('the committed records', () => values.length >= 4);
    await new Promise((r) => setTimeout(r, 500)); // an aborted record would come with or after them
    expect(values).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(reached).toBe((await c.latestOffsets(topic)).get(0));
  });

  it('consumer: pause holds a topic back and resume brings it, while the other topic flows', async () => {
    const a = topics.name('a');
    const b = topics.name('b');
    const producer = createKafkaProducer({ brokers, client, logger: quiet });
    await producer.connect();
    open.push(producer);
    const c = consumer({ groupId: `ports-spec-pause-${client}-${Date.now()}` });
    await c.connect();
    await c.subscribe([a, b]);
    const seen: string[] = [];
    await c.run(
      async (messages) => {
        for (const m of messages) seen.push(`${m.topic === a ? 'a' : 'b'}:${m.value?.toString()}`);
        return messages.at(-1)?.offset;
      },
      { onAssigned: () => c.pause(a) },
    );
    await producer.send({ topic: a, key: 'k1', value: '1', headers: {} });
    await producer.send({ topic: a, key: 'k2', value: '2', headers: {} });
    await producer.send({ topic: b, key: 'k', value: '1', headers: {} });
    await waitFor('b flowing', () => seen.includes('b:1'));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen.filter((s) => s.startsWith('a:'))).toEqual([]);
    c.resume(a);
    await waitFor('a after resume', () => seen.filter((s) => s.startsWith('a:')).length === 2);
    expect(seen.filter((s) => s.startsWith('a:')).sort()).toEqual(['a:1', 'a:2']);
  });

  it('consumer: the exclusive assignment gives every partition to the highest priority, then to the next', async () => {
    const a = topics.name('a');
    const b = topics.name('b');
    const groupId = `ports-spec-exclusive-${client}-${Date.now()}`;
    const assigned = new Map<number, Record<string, number[]>>();
    const start = async (priority: number) => {
      const c = consumer({ groupId, exclusivePriority: priority, sessionTimeoutMs: 6_000 });
      await c.connect();
      await c.subscribe([a, b]);
      await c.run(async (messages) => messages.at(-1)?.offset, {
        onAssigned: (assignment) => assigned.set(priority, assignment),
      });
      return c;
    };
    const low = await start(1);
    await waitFor('the first member to be assigned', () => (assigned.get(1)?.[a]?.length ?? 0) === 2);
    const high = await start(2);
    const all = (p: number) =>
      JSON.stringify(Object.fromEntries(Object.entries(assigned.get(p) ?? {}).map(([t, ps]) => [t, [...ps].sort()])));
    const everything = JSON.stringify({ [a]: [0, 1], [b]: [0] });
    await waitFor('the higher priority to take everything', () => all(2) === everything, 45_000);
    await waitFor('the lower one to hold nothing', () => Object.values(assigned.get(1) ?? {}).flat().length === 0);
    await high.disconnect();
    await waitFor('the lower priority to take over', () => all(1) === everything, 45_000);
    await low.disconnect();
  });

  it('admin: ensureTopics creates what is missing, keeps what exists, refuses too few partitions', async () => {
    const name = `${topics.name('ok')}-ensured`;
    try {
      const first = await ensureTopics({ brokers, client }, [
        { topic: name, partitions: 3, configEntries: { 'retention.ms': '60000' } },
      ]);
      expect(first).toEqual({ created: [name], existing: [] });
      const admin = createKafkaAdmin({ brokers, client });
      await admin.connect();
      try {
        expect(await admin.describeTopics([name])).toEqual([
          {
            name,
            partitions: [
              { partition: 0, replicas: 1 },
              { partition: 1, replicas: 1 },
              { partition: 2, replicas: 1 },
            ],
          },
        ]);
      } finally {
        await admin.disconnect();
      }
      expect(await ensureTopics({ brokers, client }, [{ topic: name, partitions: 3 }])).toEqual({
        created: [],
        existing: [name],
      });
      await expect(ensureTopics({ brokers, client }, [{ topic: name, partitions: 4 }])).rejects.toMatchObject({
        code: 'KAFKA_ERR_TOPIC',
      });
      await expect(
        ensureTopics({ brokers, client }, [{ topic: name, partitions: 2, exactPartitions: true }]),
      ).rejects.toMatchObject({ code: 'KAFKA_ERR_TOPIC' });
      // Two processes creating the same missing topic at once (two nodes of a shard starting): both succeed.
      const raced = await Promise.all(
        [1, 2].map(() => ensureTopics({ brokers, client }, [{ topic: `${name}-raced`, partitions: 1 }])),
      );
      expect(raced.flatMap((r) => [...r.created, ...r.existing])).toEqual([`${name}-raced`, `${name}-raced`]);
    } finally {
      await deleteTopics([name, `${name}-raced`]);
    }
  });
});
