import { type DedicatedKafka, getTestInfra, startDedicatedKafka } from '@shardex/testing';
import {
  caughtUp,
  countRows,
  dumpTables,
  killAllProcesses,
  freePort,
  lifecycle,
  metric,
  prepareRun,
  readOutput,
  referenceRun,
  type ShardRun,
  startProcess,
  waitUntil,
  workload,
} from './testing/shard-process';

// The fault that once lost a thousand events while every test was green: a shard drains a backlog of tens of
// thousands of commands, its Kafka broker is stopped for at least ten seconds and started again. The shard must ride
// through it (its failed sends end the incarnation, it restarts from its last snapshot in process), and afterwards
// the output topic must hold every sequence number once (duplicates byte-identical), `trades` one row per TRADE
// event, and the tables and events must equal an uninterrupted run's over the same input.

const COMMANDS = Number(process.env['BROKER_RESTART_COMMANDS'] ?? 30_000);
const OUTAGE_MS = 10_000;

describe('Kafka broker restart under load (dedicated broker)', () => {
  let broker: DedicatedKafka | undefined;
  let run: ShardRun | undefined;

  afterAll(async () => {
    await killAllProcesses();
    await run?.close();
    await broker?.destroy();
  });

  it('loses no event, applies no command twice and writes every trade once', async () => {
    const commands = workload(COMMANDS, 77);
    // Small fetches: the shard is in the middle of a batch (sends in flight) nearly all the time it drains.
    const env = { SNAPSHOT_EVERY_COMMANDS: '2000', WRITE_BATCH_SIZE: '200', KAFKA_MAX_BATCH_BYTES: '32768' };
    const expected = await referenceRun('brk_ref', (ref) => ref.send('input', commands), env);
    expect(expected.tables.trades.length).toBeGreaterThan(COMMANDS / 20);

    broker = await startDedicatedKafka();
    const port = await freePort();
    const shard = await prepareRun(
      'brk_run',
      { ...env, NODE_ID: 'brk-run', HTTP_PORT: String(port) },
      { kafkaBrokers: broker.brokers, mysql: getTestInfra().mysql },
    );
    run = shard;
    // The whole input is waiting before the shard starts: it drains it flat out.
    await shard.send('preload', [lifecycle('init', 'INITIALIZE_ENGINE'), lifecycle('start', 'START_ENGINE')]);
    await shard.send('input', commands);
    const proc = startProcess(shard.processEnv, 'brk_run');
    await proc.active;
    const total = expected.tables.orders.length;
    // The broker goes away mid-drain. Whether it catches sends in flight (the path that once lost events) or only
    // an idle fetch (which kafkajs retries quietly) is a matter of timing, so it goes away again, up to three times,
    // until the shard's sends failed at least once.
    const outages: Array<{ rows: number; downMs: number }> = [];
    let fatal = 0;
    for (const share of [0.2, 0.45, 0.7]) {
      await waitUntil(
        `${share} of the rows`,
        async () => (await countRows(shard.db, 'orders')) >= total * share,
        120_000,
        10,
      );
      const rows = await countRows(shard.db, 'orders');
      const stoppedAt = Date.now();
      await broker.stop();
      // timers may fire a millisecond early against Date.now(), so wait until the wall clock agrees
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        await new Promise((r) => setTimeout(r, Math.max(1, OUTAGE_MS - (Date.now() - stoppedAt))));
      }
      outages.push({ rows, downMs: Date.now() - stoppedAt });
      await broker.start();
      fatal = await metric(port, 'shardex_engine_fatal_errors_total');
      if (fatal > 0) break;
    }
    await waitUntil('the shard caught up after the restart', () => caughtUp(shard), 300_000, 250);
    expect(proc.child.exitCode).toBeNull(); // it rode through the outages in process
    expect(fatal).toBeGreaterThan(0); // sends in flight failed: the incarnation restarted from its snapshot
    const restarts = await metric(port, 'shardex_engine_consumer_restarts_total');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);

    for (const o of outages) {
      expect(o.downMs).toBeGreaterThanOrEqual(OUTAGE_MS);
      expect(o.rows).toBeLessThan(total); // the broker went away mid-drain
    }
    const out = await readOutput(shard); // every seq 1..N, duplicates byte-identical
    expect(out.events).toEqual(expected.output.events);
    const tradeEvents = out.events.filter((e) => (JSON.parse(e) as { code: string }).code === 'TRADE').length;
    expect(await countRows(shard.db, 'trades')).toBe(tradeEvents);
    expect(await dumpTables(shard.db)).toEqual(expected.tables);
    process.stdout.write(
      `broker down ${outages.map((o) => `${o.downMs} ms at ${o.rows}`).join(', ')} of ${total} order rows; ` +
        `${fatal} fatal, ${restarts} consumer restarts; ` +
        `${out.records} records, ` +
        `${out.duplicates} duplicates, ${out.events.length} events, ${tradeEvents} trades\n`,
    );
  }, 900_000);
});
