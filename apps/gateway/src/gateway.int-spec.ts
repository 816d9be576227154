import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { decodeCommand, type Command, encodeCommand } from '@shardex/contracts';
import { createApiKeyStore, createDb, createInstrumentRegistry, type Knex, migrateLatest } from '@shardex/db';
import { createKafkaProducer } from '@shardex/kafka';
import {
  createTestDatabase,
  createTestKafka,
  createTestTopics,
  getTestInfra,
  type TestDatabase,
  type TestTopics,
  kafkaClientEnv,
} from '@shardex/testing';
import pino from 'pino';
import { BTC_SPEC as BTC } from './testing/fakes';
import WebSocket from 'ws';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

/**
 * The gateway wired as in production (real Kafka, real MySQL) in front of a real shard process, driven over HTTP and
 * WebSocket; assertions on what reached the shard's input topic and what the shard wrote.
 */

// apps never import apps: the shard runs as its own process, from its sources, as in the shard's fault tests.
const SHARD_MAIN = path.join(__dirname, '..', '..', 'matching-engine', 'src', 'main.ts');

let topics: TestTopics;
let tdb: TestDatabase;
let db: Knex;
let shard: ChildProcess | undefined;
let shardOut = '';
let gateway: RunningGateway | undefined;
const keys: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 30_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function api(method: string, url: string, who: 'alice' | 'bob' | null, body?: unknown) {
  const res = await fetch(`${gateway?.url}${url}`, {
    method,
    headers: {
      ...(who ? { 'x-api-key': keys[who] } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // Tests read fields of the answers they just asserted the shape of.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

/** Every command on the shard's input topic, from the beginning. */
async function inputCommands(): Promise<Command[]> {
  const kafka = createTestKafka('gateway-spec-input');
  const admin = kafka.admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets(topics.name('input'));
  await admin.disconnect();
  const high = Number(end?.high ?? 0);
  const out: Command[] = [];
  if (high === 0) return out;
  const consumer = kafka.consumer({ groupId: `gateway-spec-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.name('input')], fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      const decoded = decodeCommand({ value: message.value, headers: message.headers as Record<string, Buffer> });
      if (decoded.ok) out.push(decoded.value);
    },
  });
  await until('the input topic read to its end', () => seen >= high);
  await consumer.disconnect();
  return out;
}

const placed = (commands: Command[], orderId: string) =>
  commands.filter((c) => c.code === 'PLACE_ORDER' && c.payload.orderId === orderId);

beforeAll(async () => {
  const infra = getTestInfra();
  topics = await createTestTopics(['input', 'preload', 'output', 'dlq'], infra);
  tdb = await createTestDatabase('gateway', infra);
  db = createDb({ url: tdb.url });
  await migrateLatest(db);
  const shardMap = JSON.stringify({
    shards: [
      {
        shardId: 'shard-1',
        kafkaInputTopic: topics.name('input'),
        kafkaPreloadTopic: topics.name('preload'),
        kafkaOutputTopic: topics.name('output'),
        kafkaDlqTopic: topics.name('dlq'),
      },
    ],
  });
  const env = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    ...kafkaClientEnv(),
    MYSQL_URL: tdb.url,
    SHARD_MAP: shardMap,
  };

  // The shard: DEPTH after every command, so the stream's depth follows each order.
  shard = spawn(process.execPath, ['-r', 'tsx/cjs', SHARD_MAIN], {
    env: {
      ...process.env,
      ...env,
      SHARD_ID: 'shard-1',
      HTTP_PORT: '0',
      CONSUMER_GROUP_PREFIX: `gw-${topics.name('input')}`,
      DEPTH_EVERY_COMMANDS: '1',
      WRITE_FLUSH_MS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  shard.stdout?.on('data', (c: Buffer) => (shardOut += c.toString()));
  shard.stderr?.on('data', (c: Buffer) => (shardOut += c.toString()));
  await until('the shard to be active', () => shardOut.includes('shard active'), 60_000);

  // What `orchestrator init` does: the registry first, then INITIALIZE_ENGINE and START_ENGINE to the shard.
  await createInstrumentRegistry(db).publish({ instruments: [{ spec: BTC, shardId: 'shard-1' }], at: new Date() });
  const producer = createKafkaProducer({ brokers: infra.kafkaBrokers, clientId: 'gateway-spec' });
  await producer.connect();
  const lifecycle = (code: 'INITIALIZE_ENGINE' | 'START_ENGINE', payload: object): Command =>
    ({ commandId: `gw-${code}`, code, issuedAt: Date.now(), payload }) as Command;
  for (const c of [lifecycle('INITIALIZE_ENGINE', { instruments: [BTC] }), lifecycle('START_ENGINE', {})])
    await producer.send({ topic: topics.name('preload'), ...encodeCommand(c) });
  await producer.disconnect();

  const store = createApiKeyStore(db);
  keys.alice = (await store.create({ userId: 'alice' })).apiKey;
  keys.bob = (await store.create({ userId: 'bob' })).apiKey;

  gateway = await startGateway(
    loadConfig({ ...env, PORT: '0', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '10000', RESULT_TIMEOUT_MS: '5000' }),
    pino({ level: 'warn' }),
  );
  await until('the gateway to be ready', async () => (await fetch(`${gateway?.url}/ready`)).status === 200, 60_000);
  // The shard trades once it is RUNNING; its /ready is not reachable from here without its port, so ask by order.
  await until('the shard to run', async () => {
    const res = await api('POST', '/v1/orders', 'bob', {
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      price: '90000',
      quantity: '0.0001',
      responseType: 'result',
    });
    return res.status === 201;
  });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  if (shard && shard.exitCode === null) {
    const exited = new Promise((r) => shard?.once('exit', r));
    shard.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (shard.exitCode === null) shard.kill('SIGKILL');
  }
  await db?.destroy();
  await topics?.drop();
  await tdb?.drop();
}, 60_000);

describe('gateway (real Kafka + MySQL + a shard)', () => {
  it('puts an accepted order on its shard’s input topic exactly once, and a retry gives the same orderId', async () => {
    const order = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '100.00', quantity: '0.5' };
    const first = await api('POST', '/v1/orders', 'alice', { ...order, clientOrderId: 'int-1' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      clientOrderId: 'int-1',
      symbol: 'BTC-USDT',
      shardId: 'shard-1',
      status: 'accepted',
    });
    const again = await api('POST', '/v1/orders', 'alice', { ...order, clientOrderId: 'int-1' });
    expect(again.status).toBe(202);
    expect(again.body['orderId']).toBe(first.body['orderId']);

    const commands = await inputCommands();
    expect(placed(commands, first.body['orderId'])).toHaveLength(1);
    await until('the order stored', async () => (await db('orders').where({ order_id: first.body['orderId'] })).length);
    expect(await db('orders').where({ user_id: 'alice', price: '100' })).toHaveLength(1);
  });

  it('answers responseType "result" with the fills of a crossing order', async () => {
    const ask = await api('POST', '/v1/orders', 'bob', {
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      price: '200.00',
      quantity: '0.3',
      responseType: 'result',
    });
    expect(ask.status).toBe(201);
    expect(ask.body).toMatchObject({ status: 'new', filledQuantity: '0', fills: [] });
    const take = await api('POST', '/v1/orders', 'alice', {
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '200.00',
      quantity: '0.5',
      responseType: 'result',
    });
    expect(take.status).toBe(201);
    expect(take.body).toMatchObject({ status: 'partially_filled' });
    expect(Number(take.body['filledQuantity'])).toBe(0.3);
    expect(take.body['fills']).toEqual([
      expect.objectContaining({ side: 'buy', liquidity: 'taker', price: expect.stringMatching(/^200(\.0+)?$/) }),
    ]);
    const rejected = await api('POST', '/v1/orders', 'bob', {
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      price: '150.00',
      quantity: '0.1',
      postOnly: true,
      responseType: 'result',
    });
    expect(rejected.status).toBe(409);
    expect(rejected.body).toMatchObject({ code: 'POST_ONLY_WOULD_TAKE', orderId: expect.any(String) });
  });

  it('lets nobody see or cancel another user’s order', async () => {
    const mine = await api('POST', '/v1/orders', 'alice', {
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '50.00',
      quantity: '1',
    });
    const orderId = mine.body['orderId'] as string;
    await until('the order stored', async () => (await api('GET', `/v1/orders/${orderId}`, 'alice')).status === 200);
    expect((await api('GET', `/v1/orders/${orderId}`, 'bob')).status).toBe(404);
    expect((await api('DELETE', `/v1/orders/${orderId}`, 'bob')).status).toBe(404);
    const listed = await api('GET', '/v1/orders?status=open', 'bob');
    expect(listed.body['orders'].map((o: { orderId: string }) => o.orderId)).not.toContain(orderId);
    expect((await api('DELETE', `/v1/orders/${orderId}`, 'alice')).status).toBe(202);
    await until(
      'the cancel stored',
      async () => (await api('GET', `/v1/orders/${orderId}`, 'alice')).body['status'] === 'canceled',
    );
  });

  it('streams trades and depth with contiguous sequence ids', async () => {
    const ws = new WebSocket(`${gateway?.url.replace('http', 'ws')}/v1/stream`);
    const messages: Array<Record<string, unknown>> = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ op: 'subscribe', args: ['trades:BTC-USDT', 'depth:BTC-USDT'] }));
    await until('subscribed', () => messages.some((m) => JSON.stringify(m).includes('subscribe')));
    for (let i = 0; i < 3; i++) {
      await api('POST', '/v1/orders', 'bob', {
        symbol: 'BTC-USDT',
        side: 'sell',
        type: 'limit',
        price: '300.00',
        quantity: '0.1',
      });
      await api('POST', '/v1/orders', 'alice', { symbol: 'BTC-USDT', side: 'buy', type: 'market', quantity: '0.1' });
    }
    const depth = () => messages.filter((m) => m['type'] === 'depth');
    await until('3 trades streamed', () => messages.filter((m) => m['type'] === 'trade').length >= 3);
    await until('depth after the last trade', () => depth().length >= 6);
    ws.close();
    const seqs = depth().map((m) => m['data'] as { U: number; u: number });
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]?.U).toBe((seqs[i - 1]?.u ?? 0) + 1);
    const trades = messages.filter((m) => m['type'] === 'trade').map((m) => m['data']);
    expect(trades.slice(-3)).toEqual(
      Array.from({ length: 3 }, () =>
        expect.objectContaining({ symbol: 'BTC-USDT', quantity: expect.stringMatching(/^0\.10*$/) }),
      ),
    );
  });
});
