import {
  caughtUp,
  countRows,
  dumpTables,
  killAllProcesses,
  leaseEpoch,
  lifecycle,
  occurrences,
  prepareRun,
  readOutput,
  referenceRun,
  type ShardRun,
  startProcess,
  waitUntil,
  workload,
} from './testing/shard-process';

// Shard high availability: two processes run the same shard. Exactly one writes (the lease holder); the other
// waits as a hot standby. The active one is frozen (SIGSTOP: alive, holding buffered work, deaf) — the standby takes
// over within seconds; the frozen one is woken and must find itself fenced and write nothing more; then the new
// active one is killed and the first takes over again. Tables and the output topic must equal an uninterrupted
// run's, and no row may carry the fenced epoch that it did not already carry at the takeover.

const COMMANDS = Number(process.env['TAKEOVER_COMMANDS'] ?? 20_000);

type Row = { key: string; version: string };

async function rowsOfEpoch(run: ShardRun, epoch: number): Promise<{ orders: Row[]; trades: Row[] }> {
  const orders = (await run.db('orders').where({ writer_epoch: epoch }).select('order_id', 'version')) as Array<{
    order_id: string;
    version: string;
  }>;
  const trades = (await run.db('trades').where({ writer_epoch: epoch }).select('trade_id', 'seq')) as Array<{
    trade_id: string;
    seq: string;
  }>;
  return {
    orders: orders.map((o) => ({ key: o.order_id, version: String(o.version) })),
    trades: trades.map((t) => ({ key: t.trade_id, version: String(t.seq) })),
  };
}

describe('two processes for one shard (lease, fencing, hot standby)', () => {
  let run: ShardRun | undefined;

  afterAll(async () => {
    await killAllProcesses();
    await run?.close();
  });

  it('exactly one writes; a frozen or killed active is replaced within seconds; the fenced one writes nothing after', async () => {
    const commands = workload(COMMANDS, 91);
    const env = {
      SNAPSHOT_EVERY_COMMANDS: '1000',
      WRITE_BATCH_SIZE: '200',
      KAFKA_MAX_BATCH_BYTES: '32768',
      LEASE_TTL_MS: '3000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const expected = await referenceRun('tko_ref', (ref) => ref.send('input', commands), env);
    const total = expected.tables.orders.length;

    const shard = await prepareRun('tko_run', env);
    run = shard;
    const a = startProcess({ ...shard.processEnv, NODE_ID: 'node-a' }, 'a');
    await a.active;
    const b = startProcess({ ...shard.processEnv, NODE_ID: 'node-b' }, 'b');
    await waitUntil('b waits as a standby', async () => occurrences(b, 'standby: another process holds the shard') > 0);
    const epochA = await leaseEpoch(shard);

    await shard.send('preload', [lifecycle('init', 'INITIALIZE_ENGINE'), lifecycle('start', 'START_ENGINE')]);
    await shard.send('input', commands);
    await waitUntil(
      'a quarter of the rows',
      async () => (await countRows(shard.db, 'orders')) >= total / 4,
      120_000,
      10,
    );
    // Both alive, one writer: every row so far carries A's epoch.
    const epochs = (await shard.db('orders').distinct('writer_epoch')) as Array<{ writer_epoch: string }>;
    expect(epochs.map((e) => Number(e.writer_epoch))).toEqual([epochA]);

    a.child.kill('SIGSTOP'); // alive and holding its buffers, but silent: its lease and group session run out
    const frozenAt = Date.now();
    await b.active;
    const takeoverMs = Date.now() - frozenAt;
    expect(takeoverMs).toBeLessThan(30_000);
    const epochB = await leaseEpoch(shard);
    expect(epochB).toBeGreaterThan(epochA);
    await waitUntil('half the rows', async () => (await countRows(shard.db, 'orders')) >= total / 2, 120_000, 10);

    const atTakeover = await rowsOfEpoch(shard, epochA);
    a.child.kill('SIGCONT'); // it wakes with work it believes is its own
    // Fenced (its lease renewal or a write refused), or its session dropped by the server while it was frozen:
    // either way it ends its incarnation and finds the lease held by B.
    await waitUntil(
      'a steps down to standby',
      async () =>
        occurrences(a, 'another process owns the shard now') +
          occurrences(a, 'standby: another process holds the shard') >
        0,
    );
    await waitUntil(
      'three quarters of the rows',
      async () => (await countRows(shard.db, 'orders')) >= (3 * total) / 4,
      120_000,
      10,
    );
    b.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitUntil('a takes the shard back', async () => occurrences(a, 'shard active') >= 2, 60_000, 50);
    const retakeMs = Date.now() - killedAt;
    await waitUntil('caught up', () => caughtUp(shard), 300_000, 250);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);

    // Nothing was written under the fenced epoch after the takeover: the rows carrying it are (a subset of) those
    // that carried it then, at the same versions.
    const afterwards = await rowsOfEpoch(shard, epochA);
    const key = (r: Row) => `${r.key}@${r.version}`;
    const then = { orders: new Set(atTakeover.orders.map(key)), trades: new Set(atTakeover.trades.map(key)) };
    expect(afterwards.orders.filter((r) => !then.orders.has(key(r)))).toEqual([]);
    expect(afterwards.trades.filter((r) => !then.trades.has(key(r)))).toEqual([]);
    // The last snapshot is never older than B's tenure; when A applied new commands in its second tenure (rows under
    // an epoch newer than B's), its shutdown snapshot is that tenure's. (On a slow machine B may have applied and
    // snapshotted everything before it was killed: then A's second tenure has nothing to snapshot.)
    const newest = Number((await shard.db('engine_snapshots').max({ e: 'epoch' }))[0]?.['e']);
    const newestRow = Number((await shard.db('orders').max({ e: 'writer_epoch' }))[0]?.['e']);
    expect(newest).toBeGreaterThanOrEqual(epochB);
    if (newestRow > epochB) expect(newest).toBeGreaterThan(epochB);

    const out = await readOutput(shard);
    expect(out.events).toEqual(expected.output.events);
    expect(await dumpTables(shard.db)).toEqual(expected.tables);
    process.stdout.write(
      `takeover after a freeze ${takeoverMs} ms, after a kill ${retakeMs} ms; epochs ${epochA} → ${epochB} → ` +
        `${await leaseEpoch(shard)}; ${atTakeover.orders.length} order rows under the first at the takeover; ${out.duplicates} duplicates of ` +
        `${out.events.length} events\n`,
    );
  }, 900_000);
});
