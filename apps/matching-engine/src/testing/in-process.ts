import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { type Command, decodeEvent, type EngineEvent } from '@shardex/contracts';
import { createDb, type Knex } from '@shardex/db';
import { createKafkaProducer, type KafkaProducer } from '@shardex/kafka';
import { createOrderRouter, type OrderRouter } from '@shardex/order-router';
import { createTestKafka, getTestInfra, type TestDatabase, type TestTopics } from '@shardex/testing';
import type { Consumer } from 'kafkajs';
import pino from 'pino';
import { type RunningShard, startShard } from '../app';
import { loadConfig } from '../config';
import { createShardUnderTest } from './shard-env';

/**
 * A shard process started in the test's own process (startShard, wired as in production on real Kafka and MySQL),
 * with readers of its output and dead-letter topics and a router to feed it.
 */

export interface Harness {
  topics: TestTopics;
  tdb: TestDatabase;
  db: Knex;
  shard: RunningShard;
  router: OrderRouter;
  producer: KafkaProducer;
  events: EngineEvent[];
  dlq: Array<{ headers: Record<string, string>; value: string }>;
  readers: Consumer[];
  env: NodeJS.ProcessEnv;
  /** Every log line the shard wrote (warn and above unless ENGINE_TEST_LOG says otherwise). */
  logs: string[];
}

let n = 0;
export const cmd = <C extends Command>(c: Omit<C, 'commandId' | 'issuedAt'>): C =>
  ({ ...c, commandId: `cmd-${++n}`, issuedAt: 1_763_700_000_000 + n }) as C;

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function read(
  topic: string,
  onMessage: (m: { value: string; headers: Record<string, string> }) => void,
): Promise<Consumer> {
  const consumer = createTestKafka('engine-spec-reader').consumer({
    groupId: `reader-${topic}-${++n}`,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(Array.isArray(v) ? v[0] : v);
      onMessage({ value: message.value?.toString() ?? '', headers });
    },
  });
  return consumer;
}

export async function setUp(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const { topics, tdb, env } = await createShardUnderTest('engine', { DEPTH_EVERY_COMMANDS: '1000000', ...extraEnv });
  const infra = getTestInfra();
  const logs: string[] = [];
  const shard = await startShard(loadConfig(env), shardLogger(logs));
  await shard.node.whenActive();
  const producer = createKafkaProducer({ brokers: infra.kafkaBrokers, clientId: 'engine-spec' });
  await producer.connect();
  const router = createOrderRouter({ shardMap: loadConfig(env).shardMap, producer });
  const events: EngineEvent[] = [];
  const dlq: Harness['dlq'] = [];
  const readers = [
    await read(topics.name('output'), (m) => {
      const decoded = decodeEvent({ value: m.value, headers: m.headers });
      if (decoded.ok) events.push(decoded.value);
    }),
    await read(topics.name('dlq'), (m) => dlq.push(m)),
  ];
  return { topics, tdb, db: createDb({ url: tdb.url }), shard, router, producer, events, dlq, readers, env, logs };
}

export async function tearDown(h: Harness | undefined): Promise<void> {
  if (!h) return;
  await h.shard.stop();
  for (const r of h.readers) await r.disconnect();
  await h.producer.disconnect();
  await h.db.destroy();
  await h.topics.drop();
  await h.tdb.drop();
}

export const bySeq = (events: EngineEvent[]) =>
  [...new Map(events.map((e) => [e.seq, e])).values()].sort((a, b) => a.seq - b.seq);

/** A pino logger that keeps every line in `into` (and echoes them when ENGINE_TEST_LOG is set). */
export function shardLogger(into: string[]): pino.Logger {
  const level = process.env['ENGINE_TEST_LOG'] ?? 'warn';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      into.push(chunk.toString());
      if (process.env['ENGINE_TEST_LOG']) process.stdout.write(chunk);
      done();
    },
  });
  return pino({ level }, sink);
}

/** Restarts the harness's shard (a new process would do the same: restore the snapshot, replay). */
export async function restart(h: Harness): Promise<void> {
  await h.shard.stop();
  h.shard = await startShard(loadConfig(h.env), shardLogger(h.logs));
  await h.shard.node.whenActive();
}

export async function httpGet(h: Harness, url: string): Promise<{ status: number; body: string }> {
  const port = (h.shard.server.address() as AddressInfo).port;
  const res = await fetch(`http://127.0.0.1:${port}${url}`);
  return { status: res.status, body: await res.text() };
}

/** A counter or gauge of the shard's /metrics. */
export async function metricOf(h: Harness, name: string): Promise<number> {
  const line = (await httpGet(h, '/metrics')).body.split('\n').find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

export const accepted = (h: Harness) =>
  bySeq(h.events).flatMap((e) => (e.code === 'ORDER_ACCEPTED' ? [e.payload.orderId] : []));
