import { decodeCommand, type Command } from '@shardex/contracts';
import { createApiKeyStore, createDb, createInstrumentRegistry, type Knex, migrateLatest } from '@shardex/db';
import { ensureTopics, shardTopics } from '@shardex/kafka';
import { createShardMap } from '@shardex/order-router';
import {
  createTestDatabase,
  type DedicatedKafka,
  getTestInfra,
  startDedicatedKafka,
  type TestDatabase,
  kafkaClientEnv,
} from '@shardex/testing';
import pino from 'pino';
import { BTC_SPEC as BTC } from './testing/fakes';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

/**
 * Kafka goes away under the gateway (a broker of the test's own, stopped and started): orders are answered 503
 * promptly — never 202, never a hang — /ready says so, and once the broker is back a retry with the same
 * clientOrderId places the order once, under its original orderId.
 */

const ORDER = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '100.00', quantity: '1' };
/** What "promptly" means here: kafkajs' retries of the gateway's producer, with room for a slow CI machine. */
const PROMPT_MS = 15_000;

let broker: DedicatedKafka | undefined;
let tdb: TestDatabase;
let db: Knex;
let gateway: RunningGateway | undefined;
let apiKey = '';
const shardMap = createShardMap({ shards: [{ shardId: 'shard-1' }] });

async function post(body: object): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`${gateway?.url}/v1/orders`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - t0 };
}

async function inputCommands(): Promise<Command[]> {
  const kafka = broker?.client('kafka-down-reader');
  if (!kafka) return [];
  const admin = kafka.admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets('shard-1-input');
  await admin.disconnect();
  const high = Number(end?.high ?? 0);
  const out: Command[] = [];
  const consumer = kafka.consumer({ groupId: `kafka-down-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['shard-1-input'], fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      const decoded = decodeCommand({ value: message.value, headers: message.headers as Record<string, Buffer> });
      if (decoded.ok) out.push(decoded.value);
    },
  });
  const deadline = Date.now() + 30_000;
  while (seen < high && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  return out;
}

beforeAll(async () => {
  broker = await startDedicatedKafka();
  await ensureTopics({ brokers: broker.brokers }, shardTopics(shardMap));
  tdb = await createTestDatabase('gwkafka', getTestInfra());
  db = createDb({ url: tdb.url });
  await migrateLatest(db);
  await createInstrumentRegistry(db).publish({ instruments: [{ spec: BTC, shardId: 'shard-1' }], at: new Date() });
  apiKey = (await createApiKeyStore(db).create({ userId: 'alice' })).apiKey;
  gateway = await startGateway(
    loadConfig({
      KAFKA_BROKERS: broker.brokers.join(','),
      ...kafkaClientEnv(),
      MYSQL_URL: tdb.url,
      SHARD_COUNT: '1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    }),
    pino({ level: 'silent' }),
  );
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.destroy();
  await tdb?.drop();
  await broker?.destroy();
}, 120_000);

it('answers 503 promptly while Kafka is down, and a retry places the order once afterwards', async () => {
  expect((await post(ORDER)).status).toBe(202);
  await broker?.stop();

  const down = await post({ ...ORDER, clientOrderId: 'during-outage' });
  expect(down.status).toBe(503);
  expect(down.body).toMatchObject({ code: 'UNAVAILABLE' });
  expect(down.ms).toBeLessThan(PROMPT_MS);
  const ready = await fetch(`${gateway?.url}/ready`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { checks: Record<string, string> }).checks['kafka']).not.toBe('ok');
  // Many at once, without clientOrderIds: every one is 503 (never 202, never a hang), none waits out the retries of
  // the others (the producer refuses a failing topic's orders at once for a moment).
  const burst = await Promise.all(Array.from({ length: 30 }, () => post(ORDER)));
  expect(burst.map((r) => r.status)).toEqual(burst.map(() => 503));
  const slowest = Math.max(...burst.map((r) => r.ms));
  expect(slowest).toBeLessThan(PROMPT_MS);
  const plain = burst[0] as (typeof burst)[number];

  await broker?.start();
  let retry = await post({ ...ORDER, clientOrderId: 'during-outage' });
  // The producer reconnects on its own; the first attempts after the start may still find it reconnecting.
  for (let i = 0; retry.status === 503 && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    retry = await post({ ...ORDER, clientOrderId: 'during-outage' });
  }
  expect(retry.status).toBe(202);
  const again = await post({ ...ORDER, clientOrderId: 'during-outage' });
  expect(again.body['orderId']).toBe(retry.body['orderId']);

  const commands = await inputCommands();
  const places = commands.filter((c) => c.code === 'PLACE_ORDER' && c.payload.orderId === retry.body['orderId']);
  // Once, or more than once as the very same command (same commandId) when a failed attempt did reach the broker:
  // the shard de-duplicates those. Never a second order id for the clientOrderId.
  expect(places.length).toBeGreaterThanOrEqual(1);
  expect(new Set(places.map((c) => JSON.stringify(c))).size).toBe(1);
  const forAlice = commands.filter((c) => c.code === 'PLACE_ORDER' && c.payload.userId === 'alice');
  expect(new Set(forAlice.map((c) => c.code === 'PLACE_ORDER' && c.payload.orderId)).size).toBe(2);
  process.stdout.write(
    `503 after ${down.ms} ms (clientOrderId); a burst of 30: slowest ${slowest} ms (${plain.ms} ms first)\n`,
  );
}, 300_000);
