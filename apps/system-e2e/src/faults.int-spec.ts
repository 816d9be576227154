import {
  createTestKafka,
  type DedicatedKafka,
  type DedicatedMysql,
  startDedicatedKafka,
  startDedicatedMysql,
  type TestInfra,
} from '@shardex/testing';
import { compareRuns, readOrders, readOutput, readTrades, replayOnTwins, waitDrained } from './support/ledger';
import { type ShardId, type SystemStack, startStack } from './support/stack';
import { type Answer, runStreams, type StreamRecord } from './support/traders';

/**
 * The whole system under load and faults, one fault after another on one stack: a shard SIGKILLed and restarted,
 * the gateway SIGKILLed and restarted, the Kafka broker SIGKILLed and restarted, MySQL stopped for 30 s. Clients keep trading
 * through all of it, as the API tells them to (see traders.ts). Then the accepted steps run again, undisturbed, on
 * twin symbols — the reference run — and the data is compared: nothing answered 202 is lost, nothing is applied
 * twice, nothing answered "not sent" was executed, and the orders and trades equal the reference run's.
 *
 * The broker and the database server are this file's own: the run's shared ones must not be stopped.
 */

const FAULT_SYMBOLS: Record<ShardId, string[]> = { 'shard-1': ['F1-USD', 'F2-USD'], 'shard-2': ['F3-USD', 'F4-USD'] };
const twin = (symbol: string) => symbol.replace(/^F/, 'R');
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];

let kafka: DedicatedKafka | undefined;
let mysql: DedicatedMysql | undefined;
let stack: SystemStack | undefined;
let streams: ReturnType<typeof runStreams> | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the clients had `n` more steps accepted: the system makes progress again. */
async function progress(n: number, what: string, ms = 150_000): Promise<void> {
  const from = streams?.steps() ?? 0;
  const deadline = Date.now() + ms;
  for (;;) {
    // A stream that met an answer no client should get has stopped: that is the failure to report.
    const failed = streams?.records.find((r) => r.error);
    if (failed) throw failed.error;
    if ((streams?.steps() ?? 0) >= from + n) return;
    if (Date.now() > deadline) throw new Error(`the clients completed fewer than ${n} steps ${what} in ${ms} ms`);
    await sleep(100);
  }
}

/** Every answer the clients got from `since` on. */
function answersSince(since: number): Answer[] {
  return (streams?.records ?? []).flatMap((r) => r.outcomes.flatMap((o) => o.answers.filter((a) => a.at >= since)));
}

/** Input records of a shard that its consumer group has not committed yet: work in flight. */
async function uncommitted(shardId: ShardId): Promise<bigint> {
  const s = running();
  const admin = createTestKafka('e2e-lag', s.infra).admin();
  await admin.connect();
  try {
    const topic = s.topic(shardId, 'input');
    const groupId = `${s.gateway.env['CONSUMER_GROUP_PREFIX']}-${shardId}`;
    // The commit first, the end after: the end only grows, so the difference is never negative.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const [high] = await admin.fetchTopicOffsets(topic);
    const c = committed?.partitions[0]?.offset ?? '-1';
    return BigInt(high?.high ?? '0') - BigInt(c === '-1' ? '0' : c);
  } finally {
    await admin.disconnect();
  }
}

function running(): SystemStack {
  if (!stack) throw new Error('the stack did not start');
  return stack;
}

beforeAll(async () => {
  [kafka, mysql] = await Promise.all([startDedicatedKafka(), startDedicatedMysql()]);
  const infra: TestInfra = { kafkaBrokers: kafka.brokers, mysql: mysql.mysql };
  stack = await startStack({
    label: 'faults',
    infra,
    symbols: {
      'shard-1': [...FAULT_SYMBOLS['shard-1'], ...FAULT_SYMBOLS['shard-1'].map(twin)],
      'shard-2': [...FAULT_SYMBOLS['shard-2'], ...FAULT_SYMBOLS['shard-2'].map(twin)],
    },
    users: USERS,
    shardEnv: {
      // Recover within seconds of an outage's end rather than the production defaults' minute.
      CHECKPOINT_TIMEOUT_MS: '10000',
      RECOVERY_BACKOFF_MAX_MS: '2000',
      SNAPSHOT_EVERY_COMMANDS: '5000',
    },
  });
  const url = stack.gatewayUrl;
  streams = runStreams(() => url, Object.values(FAULT_SYMBOLS).flat(), stack.keys, 7);
}, 300_000);

afterAll(async () => {
  await streams?.stop().catch(() => undefined);
  await stack?.close();
  await Promise.all([kafka?.destroy(), mysql?.destroy()]);
}, 120_000);

describe('under load', () => {
  it('a shard SIGKILLed mid-run restarts from its snapshot and goes on', async () => {
    await progress(2_000, 'before the first fault');
    const shard = running().shards['shard-1'];
    // Killed while it has input it has not committed: the restart must replay it from the snapshot.
    let inFlight = 0n;
    for (let i = 0; i < 200 && inFlight <= 0n; i++) inFlight = await uncommitted('shard-1');
    await shard.stop('SIGKILL');
    await sleep(1_000);
    // Started again before anything is asserted: a failed expectation must not leave the shard down for the rest.
    await shard.start();
    expect(inFlight).toBeGreaterThan(0n);
    await progress(2_000, 'after the shard restart');
  }, 240_000);

  it('the gateway SIGKILLed mid-load restarts, and clients retrying with their clientOrderIds lose nothing', async () => {
    const { gateway } = running();
    const since = Date.now();
    await gateway.stop('SIGKILL');
    await sleep(500);
    await gateway.start();
    await progress(2_000, 'after the gateway restart');
    // Clients met the dead gateway (no answer) and got their orders in after it came back.
    expect(answersSince(since).some((a) => a.status === 0)).toBe(true);
  }, 240_000);

  it('the Kafka broker SIGKILLed under load and started again 10 s later', async () => {
    const since = Date.now();
    // SIGKILL, not a clean shutdown: sends in flight are cut off, as in a crash.
    await kafka?.kill();
    await sleep(10_000);
    await kafka?.start();
    await progress(2_000, 'after the broker restart', 180_000);
    expect(answersSince(since).some((a) => a.status === 503)).toBe(true);
  }, 240_000);

  it('MySQL stopped for 30 s under load', async () => {
    const since = Date.now();
    await mysql?.stop();
    await sleep(30_000);
    await mysql?.start();
    await progress(2_000, 'after MySQL came back', 240_000);
    expect(answersSince(since).some((a) => a.status === 503)).toBe(true);
  }, 300_000);

  it('nothing answered 202 is lost, nothing is applied twice, nothing refused was executed: equal to the reference run', async () => {
    const s = running();
    const records: StreamRecord[] = (await streams?.stop()) ?? [];
    streams = undefined;
    for (const r of records) if (r.error) throw r.error;
    const t0 = Date.now();
    const reference = await replayOnTwins(s, records, twin);
    const t1 = Date.now();
    await waitDrained(s);
    const t2 = Date.now();
    // Each shard's own last seq, now that everything it applied is published and committed.
    const lastSeq: Record<string, number> = {};
    for (const [shardId, shard] of Object.entries(s.shards)) {
      const metrics = await (await fetch(shard.healthUrl.replace(/\/health$/, '/metrics'))).text();
      const m = /^shardex_engine_last_seq(?:\{[^}]*\})? (\d+)$/m.exec(metrics);
      if (!m) throw new Error(`${shardId}: no shardex_engine_last_seq in its /metrics`);
      lastSeq[shardId] = Number(m[1]);
    }
    const all = Object.values(FAULT_SYMBOLS).flat();
    const symbols = [...all, ...all.map(twin)];
    const observed = {
      orders: await readOrders(s.db, symbols),
      trades: await readTrades(s.db, symbols),
      output: await readOutput(s.infra, [s.topic('shard-1', 'output'), s.topic('shard-2', 'output')]),
    };
    console.log(`reference run ${t1 - t0} ms, drained ${t2 - t1} ms, read back ${Date.now() - t2} ms`);
    const outcomes = records.flatMap((r) => r.outcomes);
    // The order ids the gateway reserved for orders it then answered "not sent": no event may name them.
    const refusedCids = outcomes.flatMap((o) =>
      o.result === 'refused' && o.step.kind === 'place' ? [o.step.cid] : [],
    );
    const refusedOrderIds = (
      await s.db('client_orders').whereIn('client_order_id', refusedCids).select('order_id')
    ).map((r: { order_id: string }) => r.order_id);
    const accepted = outcomes.filter((o) => o.result === 'accepted');
    const refused = outcomes.filter((o) => o.result === 'refused');
    const retried = outcomes.filter((o) => o.answers.length > 1);
    console.log(
      `faults run: ${accepted.length} steps accepted, ${refused.length} not sent (${refusedOrderIds.length} of them reserved), ${retried.length} retried; ` +
        `${observed.orders.length} order rows, ${observed.trades.length} trade rows, ${observed.output.length} output records`,
    );
    // The run met the faults (some answers were not a first-try 202) and traded.
    expect(retried.length + refused.length).toBeGreaterThan(0);
    expect(observed.trades.length).toBeGreaterThan(0);
    expect(compareRuns({ records, reference, twin, refusedOrderIds, lastSeq }, observed)).toEqual([]);
  }, 600_000);
});
