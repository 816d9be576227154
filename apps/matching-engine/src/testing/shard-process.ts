import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { type Command, decodeEvent, encodeCommand, type InstrumentSpec } from '@shardex/contracts';
import { seededRandom, TEST } from '@shardex/contracts/testing';
import { createDb, type Knex } from '@shardex/db';
import { createKafkaProducer, type KafkaProducer } from '@shardex/kafka';
import { createTestKafka, getTestInfra, type TestInfra } from '@shardex/testing';
import { createShardUnderTest, type ShardUnderTest } from './shard-env';

/**
 * Real shard processes for the fault tests (crash, takeover, broker restart): spawned from main.ts, watched through
 * their log, killed with real signals; and the data the tests compare — tables and the output topic.
 */

const MAIN = path.join(__dirname, '..', 'main.ts');

/** The seeded stream the workloads and the crash test draw from. */
export const rng = seededRandom;

export const INSTRUMENTS: InstrumentSpec[] = [TEST, { ...TEST, symbol: 'TWO' }];

/** A seeded stream of orders and cancels over TEST and TWO, eight users, prices 95-105. */
export function workload(count: number, seed: number, first = 0): Command[] {
  const r = rng(seed);
  const cmds: Command[] = [];
  const open: Array<{ id: string; user: string; symbol: string }> = [];
  for (let k = 0; k < count; k++) {
    const i = first + k;
    const symbol = r() < 0.5 ? 'TEST' : 'TWO';
    const user = `u${Math.floor(r() * 8)}`;
    const issuedAt = 1_763_700_000_000 + i;
    if (r() < 0.25 && open.length > 0) {
      const [o] = open.splice(Math.floor(r() * open.length), 1) as [{ id: string; user: string; symbol: string }];
      cmds.push({
        commandId: `c${i}`,
        code: 'CANCEL_ORDER',
        issuedAt,
        payload: { orderId: o.id, userId: o.user, symbol: o.symbol },
      });
      continue;
    }
    const market = r() < 0.08;
    const id = `o${i}`;
    cmds.push({
      commandId: `c${i}`,
      code: 'PLACE_ORDER',
      issuedAt,
      payload: {
        orderId: id,
        userId: user,
        symbol,
        side: r() < 0.5 ? 'BUY' : 'SELL',
        type: market ? 'MARKET' : 'LIMIT',
        timeInForce: market ? 'IOC' : r() < 0.1 ? 'IOC' : 'GTC',
        ...(market ? {} : { price: String(95 + Math.floor(r() * 11)) }),
        quantity: String(1 + Math.floor(r() * 9)),
      },
    });
    if (!market) open.push({ id, user, symbol });
  }
  return cmds;
}

export const lifecycle = (
  commandId: string,
  code: 'INITIALIZE_ENGINE' | 'START_ENGINE' | 'STOP_ENGINE',
  issuedAt = 1_763_699_999_000,
): Command =>
  code === 'INITIALIZE_ENGINE'
    ? { commandId, code, issuedAt, payload: { instruments: INSTRUMENTS } }
    : { commandId, code, issuedAt, payload: {} };

export interface ShardRun extends ShardUnderTest {
  name: string;
  db: Knex;
  /** Environment of the shard processes (process.env plus the shard's own). */
  processEnv: NodeJS.ProcessEnv;
  producer: KafkaProducer;
  /** Produces commands to the shard's topic, in order. */
  send(topic: 'input' | 'preload', commands: readonly Command[]): Promise<void>;
  /** Produces a raw message (malformed input). */
  sendRaw(topic: 'input' | 'preload', key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export async function prepareRun(
  name: string,
  extraEnv: Record<string, string> = {},
  infra: TestInfra = getTestInfra(),
): Promise<ShardRun> {
  const under = await createShardUnderTest(name, { LOG_LEVEL: 'info', ...extraEnv }, infra);
  const producer = createKafkaProducer({ brokers: infra.kafkaBrokers, clientId: `${name}-feeder` });
  await producer.connect();
  const db = createDb({ url: under.tdb.url });
  return {
    ...under,
    name,
    db,
    processEnv: { ...process.env, ...under.env },
    producer,
    async send(topic, commands) {
      // In order: each one acknowledged before the next (one partition, so this is the topic's order).
      const pending = commands.map((c) => producer.send({ topic: under.topics.name(topic), ...encodeCommand(c) }));
      await Promise.all(pending);
    },
    async sendRaw(topic, key, value) {
      await producer.send({
        topic: under.topics.name(topic),
        key,
        value,
        headers: { 'shardex-schema-version': '1' },
      });
    },
    async close() {
      await producer.disconnect();
      await db.destroy();
      await under.topics.drop();
      await under.tdb.drop();
    },
  };
}

export interface ShardProcess {
  child: ChildProcess;
  /** Resolves once the process holds the lease and consumes ("shard active"). */
  active: Promise<void>;
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
}

/** Every shard process a test started and that has not exited: killed when the test is over, whatever happened. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL'); // works on a frozen (SIGSTOPped) process too
});

/** Kills (SIGKILL) every shard process still running; for afterAll, so a failed test leaves none behind. */
export async function killAllProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

export function startProcess(env: NodeJS.ProcessEnv, label = 'shard'): ShardProcess {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  const debug = process.env['SHARD_TEST_DEBUG'];
  const active = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (debug) process.stdout.write(`[${label}] ${chunk.toString()}`);
      if (out.includes('shard active')) resolve();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
      if (debug) process.stdout.write(`[${label}!] ${c.toString()}`);
    });
    child.once('exit', (code) =>
      reject(new Error(`${label} exited (${code}) before it was active:\n${out.slice(-3000)}`)),
    );
  });
  active.catch(() => undefined); // callers that never wait for it must not see an unhandled rejection
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, active, exited, output: () => out };
}

/** The next offset of the shard's input (or preload) topic that the group committed, and the topic's end. */
export async function progress(
  run: ShardRun,
  topic: 'input' | 'preload' = 'input',
): Promise<{ committed: bigint; high: bigint }> {
  const admin = createTestKafka(`${run.name}-admin`, run.infra).admin();
  await admin.connect();
  try {
    const name = run.topics.name(topic);
    const [high] = await admin.fetchTopicOffsets(name);
    const [committed] = await admin.fetchOffsets({ groupId: run.group, topics: [name] });
    const c = committed?.partitions[0]?.offset ?? '-1';
    return { committed: BigInt(c === '-1' ? '0' : c), high: BigInt(high?.high ?? '0') };
  } finally {
    await admin.disconnect();
  }
}

export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 120_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A probe that throws (a broker down for the test's own fault) counts as "not yet".
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Everything applied, written and committed: the group's offsets are at both topics' ends. */
export async function caughtUp(run: ShardRun): Promise<boolean> {
  const [input, preload] = await Promise.all([progress(run, 'input'), progress(run, 'preload')]);
  return input.committed === input.high && preload.committed === preload.high;
}

export async function countRows(db: Knex, table: 'orders' | 'trades'): Promise<number> {
  return Number((await db(table).count({ n: '*' }))[0]?.['n']);
}

/**
 * Orders and trades, every column but `writer_epoch` (which process wrote a row differs between runs by design)
 * and `identity_conflict` (always 0 at rest).
 */
export async function dumpTables(db: Knex) {
  const strip = (rows: Array<Record<string, unknown>>) =>
    rows.map(({ writer_epoch: _w, identity_conflict: _i, ...rest }) => rest);
  return {
    orders: strip(await db('orders').orderBy('order_id').select('*')),
    trades: strip(await db('trades').orderBy('trade_id').select('*')),
  };
}

/**
 * The whole output topic, de-duplicated by (shardId, seq) — replays re-publish — after checking that every
 * duplicate is byte-identical to the first copy and that the sequence has no gap: the stream a consumer sees.
 */
export async function readOutput(run: ShardRun): Promise<{ events: string[]; duplicates: number; records: number }> {
  const topic = run.topics.name('output');
  const kafka = createTestKafka(`${run.name}-output-reader`, run.infra);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const bySeq = new Map<number, string>();
  let records = 0;
  let duplicates = 0;
  const consumer = kafka.consumer({ groupId: `${run.name}-out-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const reached = new Map<number, bigint>();
  const done = () => [...ends].every(([p, end]) => end === 0n || (reached.get(p) ?? -1n) >= end - 1n);
  let failure: Error | undefined;
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      reached.set(partition, BigInt(message.offset));
      const value = message.value?.toString() ?? '';
      const decoded = decodeEvent({ value, headers: { 'shardex-schema-version': '1' } });
      if (!decoded.ok) {
        failure ??= new Error(`undecodable event at ${partition}:${message.offset}: ${decoded.message}`);
        return;
      }
      records++;
      const key = decoded.value.seq;
      const first = bySeq.get(key);
      if (first === undefined) bySeq.set(key, value);
      else {
        duplicates++;
        if (first !== value) failure ??= new Error(`seq ${key} was published with two different contents`);
      }
    },
  });
  await waitUntil('the whole output topic', async () => done(), 120_000, 50);
  await consumer.disconnect();
  if (failure) throw failure;
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  seqs.forEach((s, i) => {
    if (s !== i + 1) throw new Error(`the output skips from seq ${i} to ${s}`);
  });
  return { events: seqs.map((s) => bySeq.get(s) as string), duplicates, records };
}

/** How many times a process logged `text` so far. */
export function occurrences(p: ShardProcess, text: string): number {
  return p.output().split(text).length - 1;
}

/** The current lease epoch of the run's shard. */
export async function leaseEpoch(run: ShardRun): Promise<number> {
  const row = (await run.db('shard_leases').where({ shard_id: 'shard-1' }).first('epoch')) as
    { epoch: string } | undefined;
  return Number(row?.epoch ?? 0);
}

/**
 * An uninterrupted run of the same input on the shared broker: what every faulty run must equal. `feed` produces
 * the input (after START); the run ends with a graceful stop.
 */
export async function referenceRun(
  name: string,
  feed: (run: ShardRun) => Promise<void>,
  env: Record<string, string> = {},
) {
  const run = await prepareRun(name, { NODE_ID: `${name}-node`, ...env });
  try {
    const proc = startProcess(run.processEnv, name);
    await proc.active;
    await run.send('preload', [lifecycle('init', 'INITIALIZE_ENGINE'), lifecycle('start', 'START_ENGINE')]);
    await feed(run);
    await waitUntil(`${name}: caught up`, () => caughtUp(run), 300_000, 200);
    proc.child.kill('SIGTERM');
    if ((await proc.exited) !== 0) throw new Error(`${name}: graceful stop failed:\n${proc.output().slice(-2000)}`);
    return { tables: await dumpTables(run.db), output: await readOutput(run) };
  } finally {
    await run.close();
  }
}

/** A loopback port free right now (for a child's HTTP_PORT, so the test can read its /metrics). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A counter of a shard process's /metrics (0 when absent). */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
