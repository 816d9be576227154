import type { Command } from '@shardex/contracts';
import {
  caughtUp,
  countRows,
  dumpTables,
  killAllProcesses,
  lifecycle,
  prepareRun,
  readOutput,
  rng,
  type ShardProcess,
  type ShardRun,
  startProcess,
  waitUntil,
  workload,
} from './testing/shard-process';

// Crash safety on real Kafka and MySQL: the same input through an uninterrupted shard and through one SIGKILLed at
// seeded points (and restarted each time, from its snapshots) must leave identical `orders` and `trades` and an
// identical output topic (after de-duplication by (shardId, seq); every duplicate byte-identical). Lifecycle
// traffic arrives mid-stream — a re-broadcast INITIALIZE, a START while RUNNING, a malformed preload message naming
// an order, garbage — so a replay must put those preload messages at the very place among the orders where the
// first run applied them; the second variant kills with no snapshot in between, so every restart replays them.

const PART = Number(process.env['CRASH_COMMANDS'] ?? 3_000);
const partA = workload(PART, 42, 0);
const partB = workload(PART, 43, PART);
const START: Command[] = [lifecycle('init', 'INITIALIZE_ENGINE'), lifecycle('start', 'START_ENGINE')];
const MID: Command[] = [lifecycle('init', 'INITIALIZE_ENGINE'), lifecycle('start-again', 'START_ENGINE')];

interface Kill {
  /** Order rows written when the process was killed, of `total` at the end. */
  rows: number;
  total: number;
}

/**
 * Feeds the run — lifecycle, part A, (caught up) mid-stream preload traffic, (applied) part B — killing the shard
 * process with SIGKILL when the order rows it wrote (which only grow) pass each of `killAt`, and restarting it.
 * Kills below `rowsAfterA` land while part A is applied. Ends with a graceful SIGTERM, which must exit 0.
 */
async function drive(run: ShardRun, killAt: number[], totalRows = 0, rowsAfterA = 0): Promise<Kill[]> {
  const thresholds = [...killAt].sort((a, b) => a - b);
  const kills: Kill[] = [];
  let proc: ShardProcess = startProcess(run.processEnv, run.name);
  await proc.active;
  const killDue = async (below: number) => {
    while (thresholds.length > 0 && (thresholds[0] as number) < below) {
      const t = thresholds[0] as number;
      let rows = 0;
      await waitUntil(
        `${run.name}: ${t} order rows`,
        async () => (rows = await countRows(run.db, 'orders')) >= t,
        120_000,
        10,
      );
      proc.child.kill('SIGKILL');
      await proc.exited;
      kills.push({ rows, total: totalRows });
      thresholds.shift();
      proc = startProcess(run.processEnv, run.name);
      await proc.active;
    }
  };
  await run.send('preload', START);
  await run.send('input', partA);
  await killDue(rowsAfterA);
  await waitUntil(`${run.name}: part A applied`, () => caughtUp(run));
  await run.send('preload', MID);
  await run.sendRaw('preload', 'lifecycle', '{"commandId":"bad-1","code":"START_ENGINE","payload":{"orderId":"p-1"}}');
  await run.sendRaw('preload', 'lifecycle', 'not json');
  await waitUntil(`${run.name}: mid-stream preload applied`, () => caughtUp(run));
  await run.send('input', partB);
  await killDue(Number.MAX_SAFE_INTEGER);
  await waitUntil(`${run.name}: everything applied`, () => caughtUp(run));
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0); // graceful stop: flush, snapshot, release the lease
  return kills;
}

describe('crash safety (shard process killed with SIGKILL)', () => {
  let reference: ShardRun | undefined;
  let expected: { tables: Awaited<ReturnType<typeof dumpTables>>; events: string[]; rowsAfterA: number } | undefined;
  const runs: ShardRun[] = [];

  beforeAll(async () => {
    reference = await prepareRun('crash_ref', { SNAPSHOT_EVERY_COMMANDS: '500', NODE_ID: 'crash-ref' });
    await drive(reference, []);
    const tables = await dumpTables(reference.db);
    // Orders first placed in part A: a kill below that many rows lands while part A is applied.
    const rowsAfterA = tables.orders.filter((o) => Number(String(o['order_id']).slice(1)) < PART).length;
    expected = { tables, events: (await readOutput(reference)).events, rowsAfterA };
    expect(expected.tables.trades.length).toBeGreaterThan(PART / 20);
    expect(expected.tables.orders.length).toBeGreaterThan(PART);
  }, 300_000);

  afterAll(async () => {
    await killAllProcesses();
    for (const run of [reference, ...runs]) await run?.close();
  });

  it.each([
    ['with snapshots every 500 commands', { SNAPSHOT_EVERY_COMMANDS: '500' }, 7],
    ['with no snapshot between the kills', { SNAPSHOT_EVERY_COMMANDS: '100000000', SNAPSHOT_EVERY_MS: '3600000' }, 11],
  ])(
    'loses nothing, duplicates nothing and replays preload traffic in place, %s',
    async (label, env, seed) => {
      // Every restart is the same process slot (a pod restarted in place), so it reclaims its own lease at once.
      // Small write batches: rows land in steps of 100, so a kill by row count falls where it was aimed.
      const run = await prepareRun(`crash_${seed}`, { ...env, NODE_ID: `crash-${seed}`, WRITE_BATCH_SIZE: '100' });
      runs.push(run);
      const r = rng(seed);
      const total = expected?.tables.orders.length ?? 0;
      const afterA = expected?.rowsAfterA ?? 0;
      // One kill while part A is applied, two in part B (which follows the mid-stream lifecycle traffic).
      const at = [
        Math.floor(afterA * (0.2 + r() * 0.6)),
        Math.floor(afterA + (total - afterA) * (0.1 + r() * 0.3)),
        Math.floor(afterA + (total - afterA) * (0.5 + r() * 0.3)),
      ];
      const kills = await drive(run, at, total, afterA);
      expect(kills).toHaveLength(3);
      for (const k of kills) {
        // Each kill landed mid-run: after some rows were durable, before all of them were.
        expect(k.rows).toBeGreaterThan(0);
        expect(k.rows).toBeLessThan(k.total);
      }
      const out = await readOutput(run);
      expect(await dumpTables(run.db)).toEqual(expected?.tables);
      expect(out.events).toEqual(expected?.events);
      // The replays really re-published (byte-identical) events: the kills cost work, not data.
      expect(out.duplicates).toBeGreaterThan(0);
      process.stdout.write(
        `${label}: killed at ${kills.map((k) => k.rows).join(', ')} of ${total} order rows; ` +
          `${out.records} records, ${out.duplicates} duplicates, ${out.events.length} events\n`,
      );
    },
    600_000,
  );
});
