import fc from 'fast-check';
import {
  type Command,
  decodeEvent,
  encodeCommand,
  type EngineEvent,
  type InstrumentSpec,
  silentLogger,
} from '@shardex/contracts';
import { seededRandom as rng, TEST } from '@shardex/contracts/testing';
import type { WriteBuffer } from '@shardex/write-buffer';
import { createEngineMetrics } from './metrics';
import { DLQ_CODE, ShardEngine } from './shard-engine';
import {
  FakeConsumer,
  FakeJournal,
  FakeLease,
  FakeProducer,
  FakeSnapshotStore,
  FakeTables,
  FakeTopics,
} from './testing/fakes';

// The engine's logic over in-memory fakes of its own ports: what it does when a send fails, the one total order of
// preload and input under any batching, replay after crashes at any point, offset gaps, and the consumer's
// rejoins and restarts. The same paths on real Kafka and MySQL are in the *.int-spec.ts files.

const SHARD = {
  shardId: 'shard-1',
  kafkaInputTopic: 'in',
  kafkaPreloadTopic: 'pre',
  kafkaOutputTopic: 'out',
  kafkaDlqTopic: 'dlq',
  symbols: [],
} as const;
const instruments: InstrumentSpec[] = [TEST, { ...TEST, symbol: 'TWO' }];

const lifecycle = (commandId: string, code: 'INITIALIZE_ENGINE' | 'START_ENGINE' | 'STOP_ENGINE'): Command =>
  code === 'INITIALIZE_ENGINE'
    ? { commandId, code, issuedAt: 1, payload: { instruments } }
    : { commandId, code, issuedAt: 1, payload: {} };

function orders(n: number, seed: number): Command[] {
  const r = rng(seed);
  const out: Command[] = [];
  for (let i = 0; i < n; i++) {
    const symbol = r() < 0.5 ? 'TEST' : 'TWO';
    if (r() < 0.2 && i > 5) {
      const target = Math.floor(r() * i);
      // One cancel in five cancels all of a user's orders on the symbol (no extra draw: the stream stays the same).
      if (target % 5 === 0) {
        out.push({
          commandId: `x${i}`,
          code: 'CANCEL_ALL_ORDERS',
          issuedAt: 1_000 + i,
          payload: { userId: `u${target % 4}`, symbol },
        });
        continue;
      }
      out.push({
        commandId: `x${i}`,
        code: 'CANCEL_ORDER',
        issuedAt: 1_000 + i,
        payload: { orderId: `o${target}`, userId: `u${target % 4}`, symbol },
      });
      continue;
    }
    out.push({
      commandId: `c${i}`,
      code: 'PLACE_ORDER',
      issuedAt: 1_000 + i,
      payload: {
        orderId: `o${i}`,
        userId: `u${i % 4}`,
        symbol,
        side: r() < 0.5 ? 'BUY' : 'SELL',
        type: 'LIMIT',
        timeInForce: r() < 0.15 ? 'IOC' : 'GTC',
        price: String(95 + Math.floor(r() * 11)),
        quantity: String(1 + Math.floor(r() * 5)),
      },
    });
  }
  return out;
}

class World {
  readonly topics = new FakeTopics();
  readonly tables = new FakeTables();
  readonly lease = new FakeLease();
  readonly journal = new FakeJournal();
  readonly snapshots = new FakeSnapshotStore(this.journal);
  readonly metrics = createEngineMetrics();
  /** Every journal entry ever recorded (the store prunes what snapshots cover). */
  readonly decisions: Array<{ preloadOffset: string; inputPosition: string }> = [];

  constructor() {
    const record = this.journal.record.bind(this.journal);
    this.journal.record = async (fence, entries) => {
      await record(fence, entries);
      this.decisions.push(...entries);
    };
  }

  send(topic: 'pre' | 'in', c: Command, gapBefore = 0): number {
    return this.topics.append(topic, encodeCommand(c), gapBefore);
  }

  raw(topic: 'pre' | 'in', value: string, key = 'lifecycle'): number {
    return this.topics.append(topic, { key, value, headers: { 'shardex-schema-version': '1' } });
  }

  /** One incarnation under a fresh lease epoch (a restart fences whatever the previous one still had in flight). */
  async incarnation(opts: { snapshotEvery?: number; producer?: FakeProducer; writeBuffer?: WriteBuffer } = {}) {
    this.lease.epoch++;
    const consumer = new FakeConsumer(this.topics);
    const producer = opts.producer ?? new FakeProducer(this.topics);
    const writeBuffer = opts.writeBuffer ?? this.tables.writeBuffer();
    const fatal: Error[] = [];
    const engine = new ShardEngine({
      shard: SHARD,
      consumer,
      producer,
      writeBuffer,
      snapshots: this.snapshots,
      journal: this.journal,
      fence: this.lease.fence(SHARD.shardId),
      logger: silentLogger,
      metrics: this.metrics,
      snapshotEveryCommands: opts.snapshotEvery ?? 25,
      depthEveryCommands: 7,
      onFatal: (e) => fatal.push(e),
    });
    await engine.start();
    return { engine, consumer, producer, writeBuffer, fatal };
  }

  /** The output topic decoded, and checked: one event per seq (duplicates byte-identical), seq 1..N without a gap. */
  output(): EngineEvent[] {
    const bySeq = new Map<number, string>();
    for (const m of this.topics.logs.get('out') ?? []) {
      const e = decodeEvent({ value: m.value, headers: m.headers });
      if (!e.ok) throw new Error(`undecodable event: ${e.message}`);
      const seen = bySeq.get(e.value.seq);
      if (seen !== undefined && seen !== m.value) throw new Error(`seq ${e.value.seq} published with two contents`);
      bySeq.set(e.value.seq, m.value);
    }
    const seqs = [...bySeq.keys()].sort((a, b) => a - b);
    seqs.forEach((s, i) => {
      if (s !== i + 1) throw new Error(`output has a gap before seq ${s}`);
    });
    return seqs.map((s) => JSON.parse(bySeq.get(s) as string) as EngineEvent);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('shard engine (logic, fake ports)', () => {
  it('on a failed send calls onFatal, and commits nothing and stores no snapshot after it', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    w.send('pre', lifecycle('start', 'START_ENGINE'));
    for (const c of orders(300, 1)) w.send('in', c);
    const producer = new FakeProducer(w.topics);
    let atFailure: { commits: number; snapshots: number } | undefined;
    const run = await w.incarnation({ producer, snapshotEvery: 10 });
    producer.failWhen = (record, n) => {
      if (record.topic !== 'out' || n !== 200) return false;
      atFailure = { commits: run.consumer.commits.length, snapshots: w.snapshots.saved.length };
      return true;
    };
    await run.consumer.drain({ random: rng(3), maxBatch: 20 }, 500);
    await settle();
    expect(run.fatal).toHaveLength(1);
    expect(run.fatal[0]?.message).toMatch(/not acknowledged/);
    expect(run.engine.failed).toBe(run.fatal[0]);
    expect(atFailure).toBeDefined();
    expect(atFailure?.snapshots).toBeGreaterThan(0); // snapshots were being taken before it...
    expect(run.consumer.commits.length).toBe(atFailure?.commits); // ...and nothing is committed after it,
    expect(w.snapshots.saved.length).toBe(atFailure?.snapshots); // nor snapshotted.
    const applied = w.metrics.commandsApplied;
    await run.consumer.drain({ random: rng(4) }, 50);
    expect(w.metrics.commandsApplied).toBe(applied); // and it applies nothing more

    // The next incarnation restores the last snapshot and replays: nothing lost, nothing published twice differently.
    const again = await w.incarnation({ snapshotEvery: 10 });
    await again.consumer.drain({ random: rng(5), maxBatch: 20 });
    await again.writeBuffer.flush();
    expect(again.fatal).toEqual([]);
    const reference = new World();
    reference.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    reference.send('pre', lifecycle('start', 'START_ENGINE'));
    for (const c of orders(300, 1)) reference.send('in', c);
    const ref = await reference.incarnation();
    await ref.consumer.drain({ random: rng(6), maxBatch: 50 });
    await ref.writeBuffer.flush();
    expect(w.output()).toEqual(reference.output());
    expect([...w.tables.orders.entries()].sort()).toEqual([...reference.tables.orders.entries()].sort());
    expect([...w.tables.trades.entries()].sort()).toEqual([...reference.tables.trades.entries()].sort());
  });

  it('a throw between applying a command and moving past it ends the incarnation; the replay applies it once', async () => {
    const feed = (w: World) => {
      w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
      w.send('pre', lifecycle('start', 'START_ENGINE'));
      for (const c of orders(120, 21)) w.send('in', c);
    };
    const w = new World();
    feed(w);
    const wb = w.tables.writeBuffer();
    const addOrder = wb.addOrder.bind(wb);
    let thrown = 0;
    // The book has applied o60 when its row is refused: its position has not moved yet.
    wb.addOrder = (row) =>
      row.orderId === 'o60' && thrown++ === 0 ? Promise.reject(new Error('boom')) : addOrder(row);
    const first = await w.incarnation({ writeBuffer: wb, snapshotEvery: 15 });
    await first.consumer.drain({ random: rng(22), maxBatch: 30 }, 200);
    expect(first.fatal[0]?.message).toBe('boom');
    const second = await w.incarnation({ snapshotEvery: 15 });
    await second.consumer.drain({ random: rng(23), maxBatch: 30 });
    await second.writeBuffer.flush();
    const ref = new World();
    feed(ref);
    const r = await ref.incarnation();
    await r.consumer.drain({ random: rng(24) });
    await r.writeBuffer.flush();
    expect(w.output()).toEqual(ref.output());
    expect(new Map(w.tables.orders)).toEqual(new Map(ref.tables.orders));
    expect(w.output().filter((e) => e.code === 'ORDER_ACCEPTED' && e.payload.orderId === 'o60')).toHaveLength(1);
  });

  it('reproduces the same events and rows after crashes at any point, whatever the batching and rejoins', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(fc.integer({ min: 5, max: 400 }), { minLength: 1, maxLength: 4 }),
        async (seed, crashAfter) => {
          const r = rng(seed);
          const w = new World();
          w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
          w.send('pre', lifecycle('start', 'START_ENGINE'));
          const all = orders(400, seed);
          for (const c of all.slice(0, 150)) w.send('in', c);
          // The rest arrives while the shard runs, crashes and replays: lifecycle traffic that does not change the
          // state but takes sequence numbers, malformed preload messages, a STOP/START pair, and more orders. A
          // preload message that lands after input it was not placed among must still go after it on every replay.
          const late: Array<() => void> = [
            () => w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE')), // a re-broadcast
            () => w.send('pre', lifecycle('start-again', 'START_ENGINE')), // START while RUNNING
            () => w.raw('pre', '{"commandId":"bad","code":"START_ENGINE","payload":{"orderId":"p-1"}}'),
            () => w.raw('pre', 'not json'), // dead-lettered
            () => w.send('pre', orders(1, 99)[0] as Command), // an order on the preload topic: dead-lettered
            () => w.send('pre', lifecycle('stop', 'STOP_ENGINE')),
            () => w.send('pre', lifecycle('restart', 'START_ENGINE')),
            ...[0, 1, 2, 3, 4].map((k) => () => {
              for (const c of all.slice(150 + k * 50, 200 + k * 50)) w.send('in', c);
            }),
          ];
          const arrivals = late.map((fn) => ({ fn, at: Math.floor(r() * 300) })).sort((a, b) => a.at - b.at);
          let step = 0;
          const arrive = () => {
            while (arrivals[0] && arrivals[0].at <= step) arrivals.shift()?.fn();
          };

          const pump = { random: r, maxBatch: 1 + Math.floor(r() * 60), rejoinChance: 0.05 };
          for (const budget of crashAfter) {
            const run = await w.incarnation({ snapshotEvery: 1 + Math.floor(r() * 60) });
            // Hand out some batches, then "SIGKILL": the incarnation is dropped mid-flight, whatever it had not
            // made durable is lost with it.
            for (let i = 0; i < budget; i++, step++) {
              arrive();
              if (!(await run.consumer.step(pump)) && arrivals.length === 0) break;
            }
            // Often a message lands just before the kill: in the topic, never fetched by the incarnation that
            // published the input before it.
            if (r() < 0.7) arrivals.shift()?.fn();
            run.engine.halt(new Error('killed'));
            run.writeBuffer.abandon(new Error('killed'));
          }
          for (const a of arrivals.splice(0)) a.fn();
          const last = await w.incarnation({ snapshotEvery: 50 });
          await last.consumer.drain(pump);
          await last.writeBuffer.flush();
          expect(last.fatal).toEqual([]);
          const events = w.output();

          // A reference that never crashed but follows the same recorded decisions must give the same stream.
          const ref = new World();
          for (const [topic, log] of w.topics.logs)
            if (topic === 'pre' || topic === 'in')
              ref.topics.logs.set(
                topic,
                log.map((m) => ({ ...m })),
              );
          await ref.journal.record(ref.lease.fence(SHARD.shardId, ref.lease.epoch), w.decisions);
          ref.lease.epoch = 1;
          const one = await ref.incarnation({ snapshotEvery: 1_000_000 });
          await one.consumer.drain({ random: rng(seed ^ 0x55), maxBatch: 100 });
          await one.writeBuffer.flush();
          expect(events).toEqual(ref.output());
          expect(new Map(w.tables.orders)).toEqual(new Map(ref.tables.orders));
          expect(new Map(w.tables.trades)).toEqual(new Map(ref.tables.trades));
          // Every order command was applied exactly once: one outcome per command id.
          const outcomes = events.filter((e) => e.code === 'ORDER_ACCEPTED' || e.code === 'ORDER_REJECTED');
          const ids = outcomes.map((e) => e.commandId);
          expect(new Set(ids).size).toBe(ids.length);
          expect(events.filter((e) => e.code === 'ENGINE_STATE').length).toBe(6);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('carries CANCEL_ALL_ORDERS through to events and rows, and dead-letters a malformed one', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    w.send('pre', lifecycle('start', 'START_ENGINE'));
    const place = (orderId: string, userId: string, side: 'BUY' | 'SELL', price: string, symbol = 'TEST') =>
      w.send('in', {
        commandId: `p-${orderId}`,
        code: 'PLACE_ORDER',
        issuedAt: 1_000,
        payload: { orderId, userId, symbol, side, type: 'LIMIT', timeInForce: 'GTC', price, quantity: '2' },
      });
    place('a1', 'alice', 'BUY', '99');
    place('b1', 'bob', 'BUY', '99');
    place('a2', 'alice', 'SELL', '101');
    place('a3', 'alice', 'BUY', '98', 'TWO');
    const all = (commandId: string): Command => ({
      commandId,
      code: 'CANCEL_ALL_ORDERS',
      issuedAt: 1_001,
      payload: { userId: 'alice', symbol: 'TEST' },
    });
    w.send('in', all('all-1'));
    w.raw('in', JSON.stringify({ ...all('all-bad'), payload: { userId: 'alice' } }), 'TEST');
    w.send('in', all('all-1')); // redelivered
    w.send('in', all('all-2')); // nothing left to cancel
    const run = await w.incarnation();
    await run.consumer.drain({ random: rng(41), maxBatch: 3 });
    await run.writeBuffer.flush();
    expect(run.fatal).toEqual([]);
    const answers = w
      .output()
      .filter((e) => e.commandId?.startsWith('all-'))
      .map((e) =>
        e.code === 'ORDER_CANCELED'
          ? `${e.commandId} CANCELED ${e.payload.orderId}`
          : e.code === 'ORDER_REJECTED'
            ? `${e.commandId} REJECTED ${e.payload.reason}`
            : e.code,
      );
    expect(answers).toEqual([
      'all-1 CANCELED a1',
      'all-1 CANCELED a2',
      'all-1 REJECTED DUPLICATE_COMMAND',
      'all-2 REJECTED ORDER_NOT_FOUND',
    ]);
    const rows = [...w.tables.orders.values()].map((r) => `${r.orderId} ${r.status} ${r.reason ?? ''}`.trim()).sort();
    expect(rows).toEqual(['a1 CANCELED USER', 'a2 CANCELED USER', 'a3 NEW', 'b1 NEW']);
    const dlq = w.topics.logs.get('dlq') ?? [];
    expect(dlq.map((m) => m.headers[DLQ_CODE])).toEqual(['CODEC_ERR_SCHEMA']);
    expect(w.metrics.deadLettered).toBe(1);
  });

  it('accepts gaps in input offsets (transaction markers, aborted records) without stalling', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    w.send('pre', lifecycle('start', 'START_ENGINE'));
    const cmds = orders(60, 7);
    cmds.forEach((c, i) => w.send('in', c, i % 3 === 0 ? 2 : 0));
    const run = await w.incarnation();
    const batches = await run.consumer.drain({ random: rng(8), maxBatch: 10 }, 1_000);
    await run.writeBuffer.flush();
    expect(batches).toBeLessThan(1_000);
    expect(w.metrics.commandsApplied).toBe(62);
    expect(w.metrics.offsetGaps).toBeGreaterThan(0);
    expect(run.engine.positions?.input).toBe(BigInt(w.topics.high('in')));
  });

  it('counts offsets as lost, not as a gap, when the consumer jumped past them by itself (retention while running)', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    w.send('pre', lifecycle('start', 'START_ENGINE'));
    for (const c of orders(30, 31)) w.send('in', c);
    const run = await w.incarnation();
    await run.consumer.drain({ random: rng(32), maxBatch: 5 }, 3); // some input applied
    const at = Number(run.engine.positions?.input);
    expect(at).toBeLessThan(30);
    w.topics.truncate('in', at + 4); // retention takes four unapplied messages...
    run.consumer.jumpTo('in', at + 4); // ...and kafkajs resets to the new start on OffsetOutOfRange
    await run.consumer.drain({ random: rng(33), maxBatch: 5 });
    expect(w.metrics.offsetsLost).toBe(4);
    expect(run.engine.positions?.input).toBe(30n);
  });

  it('re-applies pauses and positions after the consumer restarts, so a STOPPED shard neither consumes nor spins', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    w.send('pre', lifecycle('start', 'START_ENGINE'));
    for (const c of orders(20, 9)) w.send('in', c);
    w.send('pre', lifecycle('stop', 'STOP_ENGINE'));
    const run = await w.incarnation();
    await run.consumer.drain({ random: rng(10) });
    const applied = w.metrics.commandsApplied;
    expect(run.engine.state).toBe('STOPPED');
    for (const c of orders(20, 11)) w.send('in', { ...c, commandId: `late-${c.commandId}` });
    run.consumer.crash(new Error('KafkaJSNumberOfRetriesExceeded'), true); // kafkajs restarts it, forgetting pauses
    expect(run.consumer.isPaused('in')).toBe(true);
    expect(await run.consumer.drain({ random: rng(12) }, 100)).toBe(0);
    expect(w.metrics.commandsApplied).toBe(applied);
    w.send('pre', lifecycle('start-2', 'START_ENGINE'));
    await run.consumer.drain({ random: rng(13) });
    expect(w.metrics.commandsApplied).toBe(3 + 20 + 20 + 1); // everything, once
    expect(run.engine.state).toBe('RUNNING');
  });

  it('ends the incarnation when the consume loop dies for good, or the group gives the topics to another member', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    const a = await w.incarnation();
    a.consumer.crash(new Error('non-retriable'), false);
    expect(a.fatal[0]).toMatchObject({ code: 'ENGINE_ERR_CONSUMER' });
    expect(a.engine.alive(60_000).ok).toBe(false);

    const b = await w.incarnation();
    b.consumer.assignment = {};
    b.consumer.rejoin();
    expect(b.fatal[0]).toMatchObject({ code: 'ENGINE_ERR_FENCED' });
  });

  it('a fenced incarnation records no preload decision and stores no snapshot', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    const run = await w.incarnation();
    w.lease.epoch++; // another process took the shard over
    await run.consumer.drain({ random: rng(14) }, 20);
    expect(run.fatal[0]).toMatchObject({ code: 'DB_ERR_FENCED' });
    expect(w.decisions).toEqual([]);
    expect(w.metrics.commandsApplied).toBe(0);
  });

  it('treats a failed snapshot as a longer replay, not a failed batch, and tries again an interval later', async () => {
    const w = new World();
    w.send('pre', lifecycle('init', 'INITIALIZE_ENGINE'));
    w.send('pre', lifecycle('start', 'START_ENGINE'));
    for (const c of orders(200, 15)) w.send('in', c);
    w.snapshots.failing = true;
    const run = await w.incarnation({ snapshotEvery: 10 });
    await run.consumer.drain({ random: rng(16), maxBatch: 5 });
    expect(run.fatal).toEqual([]);
    expect(w.metrics.commandsApplied).toBe(202);
    // One attempt, then nothing until the time interval passes: not one failure per batch.
    expect(w.metrics.snapshotFailures).toBe(1);
    expect(w.snapshots.saved).toHaveLength(0);
  });
});
