import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Command, InstrumentSpec } from '@shardex/contracts';
import { encodeCommand } from '@shardex/contracts';
import { TEST } from '@shardex/contracts/testing';
import { createDb, type Knex } from '@shardex/db';
import { createShardUnderTest } from './testing/shard-env';
import { createKafkaProducer } from '@shardex/kafka';
import { createTestKafka, getTestInfra, type TestDatabase, type TestTopics } from '@shardex/testing';

// Crash safety: the same input through an uninterrupted shard and through one SIGKILLed at random points (and
// restarted each time, from its snapshots) must leave identical `orders` and `trades` — nothing lost, nothing
// duplicated, no order state regressed.

const COMMANDS = Number(process.env['CRASH_COMMANDS'] ?? 4_000);
const MAIN = path.join(__dirname, 'main.ts');
const instruments: InstrumentSpec[] = [TEST, { ...TEST, symbol: 'TWO' }];

/** mulberry32, seeded: the same "random" stream and kill points on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function workload(): Command[] {
  const r = rng(42);
  const cmds: Command[] = [];
  const open: Array<{ id: string; user: string; symbol: string }> = [];
  for (let i = 0; i < COMMANDS; i++) {
    const symbol = r() < 0.5 ? 'TEST' : 'TWO';
    const user = `u${Math.floor(r() * 8)}`;
    if (r() < 0.25 && open.length > 0) {
      const [o] = open.splice(Math.floor(r() * open.length), 1) as [{ id: string; user: string; symbol: string }];
      cmds.push({
        commandId: `c${i}`,
        code: 'CANCEL_ORDER',
        issuedAt: 1_763_700_000_000 + i,
        payload: { orderId: o.id, userId: o.user, symbol: o.symbol },
      });
      continue;
    }
    const market = r() < 0.08;
    const id = `o${i}`;
    cmds.push({
      commandId: `c${i}`,
      code: 'PLACE_ORDER',
      issuedAt: 1_763_700_000_000 + i,
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

interface Run {
  name: string;
  topics: TestTopics;
  tdb: TestDatabase;
  db: Knex;
  env: NodeJS.ProcessEnv;
  group: string;
}

async function prepare(name: string, commands: Command[]): Promise<Run> {
  // The test watches for the 'matching engine started' line, hence info logs.
  const {
    topics,
    tdb,
    env: shardEnv,
    group,
  } = await createShardUnderTest(name, { SNAPSHOT_EVERY_COMMANDS: '500', LOG_LEVEL: 'info' });
  const env = { ...process.env, ...shardEnv };
  const infra = getTestInfra();
  const producer = createKafkaProducer({ brokers: infra.kafkaBrokers, clientId: 'crash-spec' });
  await producer.connect();
  const send = (topic: string, c: Command) => producer.send({ topic, ...encodeCommand(c) });
  await send(topics.name('preload'), {
    commandId: 'init',
    code: 'INITIALIZE_ENGINE',
    issuedAt: 1_763_699_999_000,
    payload: { instruments },
  });
  await send(topics.name('preload'), {
    commandId: 'start',
    code: 'START_ENGINE',
    issuedAt: 1_763_699_999_001,
    payload: {},
  });
  await Promise.all(commands.map((c) => send(topics.name('input'), c)));
  await producer.disconnect();
  return { name, topics, tdb, db: createDb({ url: tdb.url }), env, group };
}

function startChild(run: Run): { child: ChildProcess; started: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', MAIN], { env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('matching engine started')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    if (process.env['CRASH_DEBUG']) child.stdout?.on('data', (c: Buffer) => process.stdout.write(c));
    if (process.env['CRASH_DEBUG']) child.stderr?.on('data', (c: Buffer) => process.stdout.write(c));
    child.once('exit', (code) => reject(new Error(`engine exited (${code}) before starting:\n${out.slice(-2000)}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, started, exited };
}

/** The group's committed position on the input topic equals its end: everything applied, written and committed. */
async function caughtUp(run: Run): Promise<boolean> {
  const admin = createTestKafka('crash-spec-admin').admin();
  await admin.connect();
  try {
    const [high] = await admin.fetchTopicOffsets(run.topics.name('input'));
    const [committed] = await admin.fetchOffsets({ groupId: run.group, topics: [run.topics.name('input')] });
    if (process.env['CRASH_DEBUG'])
      console.log(run.name, 'high', high?.high, 'committed', committed?.partitions[0]?.offset);
    return high !== undefined && committed?.partitions[0]?.offset === high.high;
  } finally {
    await admin.disconnect();
  }
}

async function runToEnd(run: Run): Promise<void> {
  const { child, started, exited } = startChild(run);
  await started;
  const deadline = Date.now() + 120_000;
  while (!(await caughtUp(run))) {
    if (Date.now() > deadline) throw new Error(`${run.name}: engine did not catch up`);
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGTERM');
  expect(await exited).toBe(0); // graceful stop: flush, commit, snapshot
}

const dump = async (db: Knex) => ({
  orders: await db('orders').orderBy('order_id').select('*'),
  trades: await db('trades').orderBy('trade_id').select('*'),
});

describe('crash safety (shard process killed with SIGKILL)', () => {
  const commands = workload();
  let reference: Run | undefined;
  let crashed: Run | undefined;

  afterAll(async () => {
    for (const run of [reference, crashed]) {
      if (!run) continue;
      await run.db.destroy();
      await run.topics.drop();
      await run.tdb.drop();
    }
  });

  it('loses no trade, duplicates none and regresses no order across repeated kills and restarts', async () => {
    reference = await prepare('crash_ref', commands);
    crashed = await prepare('crash_run', commands);

    await runToEnd(reference);
    const expected = await dump(reference.db);
    expect(expected.trades.length).toBeGreaterThan(COMMANDS / 40);
    expect(expected.orders.length).toBeGreaterThan(COMMANDS / 2);

    const r = rng(7);
    let kills = 0;
    let progressed = 0;
    for (let round = 0; round < 3; round++) {
      const { child, started, exited } = startChild(crashed);
      await started;
      await new Promise((res) => setTimeout(res, 300 + Math.floor(r() * 1_500)));
      const rowsBefore = Number((await crashed.db('orders').count({ n: '*' }))[0]?.['n']);
      child.kill('SIGKILL');
      await exited;
      kills++;
      if (rowsBefore > progressed) progressed = rowsBefore;
    }
    expect(kills).toBe(3);
    expect(progressed).toBeGreaterThan(0); // the kills landed mid-run, not before any work
    const snapshots = Number((await crashed.db('engine_snapshots').count({ n: '*' }))[0]?.['n']);
    expect(snapshots).toBeGreaterThan(0);

    await runToEnd(crashed);
    const actual = await dump(crashed.db);
    expect(actual.trades.length).toBe(expected.trades.length);
    expect(actual.orders.length).toBe(expected.orders.length);
    expect(actual).toEqual(expected);
    // Five process starts of ~20 s each: well past jest's default integration timeout, on a slow machine even more.
  }, 600_000);
});
