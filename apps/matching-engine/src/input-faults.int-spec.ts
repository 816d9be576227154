import { type Command, encodeCommand } from '@shardex/contracts';
import { cancelOrder, placeOrder, TEST } from '@shardex/contracts/testing';
import { createTestKafka } from '@shardex/testing';
import {
  accepted,
  bySeq,
  cmd,
  type Harness,
  httpGet,
  metricOf,
  restart,
  setUp,
  tearDown,
  until,
} from './testing/in-process';

// Input that is not a clean, gap-free stream of distinct commands, on real Kafka and MySQL: offsets that jump
// (transaction markers, aborted transactions), offsets deleted by retention while the shard was down, commands
// delivered twice, order ids reused, and a row the database refuses.

const start = async (h: Harness) => {
  await h.router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
  await h.router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
};

const rejections = (h: Harness) =>
  bySeq(h.events).flatMap((e) =>
    e.code === 'ORDER_REJECTED' ? [`${e.payload.orderId}:${e.payload.reason}:${e.commandId}`] : [],
  );

describe('input faults (real Kafka + MySQL)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await tearDown(h);
    h = undefined;
  });

  it('applies exactly the committed records of a transactional producer, across the gaps its markers leave', async () => {
    h = await setUp();
    await start(h);
    const input = h.topics.name('input');
    const tx = createTestKafka('engine-spec-tx').producer({
      transactionalId: `engine-spec-${input}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    try {
      const batch = async (ids: string[], outcome: 'commit' | 'abort') => {
        const t = await tx.transaction();
        await t.send({
          topic: input,
          messages: ids.map((id) => encodeCommand(placeOrder({ orderId: id, price: '100', quantity: '1' }))),
        });
        await (outcome === 'commit' ? t.commit() : t.abort());
      };
      await batch(['tx-1', 'tx-2', 'tx-3'], 'commit');
      await batch(['aborted-1', 'aborted-2'], 'abort');
      await batch(['tx-4', 'tx-5'], 'commit');
      await batch(['aborted-3'], 'abort');
    } finally {
      await tx.disconnect();
    }
    await h.router.sendToShard(placeOrder({ orderId: 'plain-1', price: '100', quantity: '1' }));
    await until('plain-1 accepted', () => h && accepted(h).includes('plain-1'));
    expect(accepted(h)).toEqual(['tx-1', 'tx-2', 'tx-3', 'tx-4', 'tx-5', 'plain-1']);
    expect(await metricOf(h, 'shardex_engine_offset_gaps_total')).toBeGreaterThan(0);
    // Caught up to the topic's end despite the gaps: the engine used to seek back to a marker's offset forever.
    await until('ready (lag 0)', async () => h && (await httpGet(h, '/ready')).status === 200);
    expect(JSON.parse((await httpGet(h, '/ready')).body)).toMatchObject({ lag: 0 });
  });

  it('skips input that retention deleted while the shard was down, logging and counting it', async () => {
    h = await setUp({ SNAPSHOT_EVERY_COMMANDS: '2' });
    await start(h);
    for (const id of ['kept-1', 'kept-2']) await h.router.sendToShard(placeOrder({ orderId: id, price: '100' }));
    await until('kept-2 accepted', () => h && accepted(h).includes('kept-2'));
    await h.shard.stop(); // final snapshot: it resumes at the current end of the input topic
    const input = h.topics.name('input');
    for (let i = 0; i < 5; i++) await h.router.sendToShard(placeOrder({ orderId: `lost-${i}`, price: '100' }));
    await h.router.sendToShard(placeOrder({ orderId: 'after-1', price: '100' }));
    const admin = createTestKafka('engine-spec-retention').admin();
    await admin.connect();
    try {
      const [end] = await admin.fetchTopicOffsets(input);
      // What retention does: everything below this offset is gone (the five lost-*), after-1 stays.
      await admin.deleteTopicRecords({
        topic: input,
        partitions: [{ partition: 0, offset: String(Number(end?.high) - 1) }],
      });
    } finally {
      await admin.disconnect();
    }
    await restart(h);
    await until('after-1 accepted', () => h && accepted(h).includes('after-1'));
    expect(accepted(h).filter((id) => id.startsWith('lost-'))).toEqual([]);
    expect(await metricOf(h, 'shardex_engine_offsets_lost_total')).toBe(5);
    expect(h.logs.some((l) => /"level":50/.test(l) && /gone from Kafka/.test(l))).toBe(true);
  });

  it('executes a command once however often it arrives, accepts an order id once, and goes on past a row the database refuses', async () => {
    h = await setUp();
    await start(h);
    const first = placeOrder(
      { orderId: 'dup-1', userId: 'alice', side: 'SELL', price: '100', quantity: '5' },
      'place-dup-1',
    );
    await h.router.sendToShard(first);
    await h.router.sendToShard(first); // delivered twice (a producer retry, a replayed request)
    // The same order id again, by another user, as a new command.
    await h.router.sendToShard(
      placeOrder({ orderId: 'dup-1', userId: 'mallory', side: 'BUY', price: '99', quantity: '1' }, 'place-dup-1-again'),
    );
    await h.router.sendToShard({ ...cancelOrder('dup-1', 'alice'), commandId: 'cancel-dup-1' });
    await h.router.sendToShard({ ...cancelOrder('dup-1', 'alice'), commandId: 'cancel-dup-1' }); // twice too
    await until('the second cancel answered', () => h && rejections(h).some((r) => r.endsWith(':cancel-dup-1')));
    expect(accepted(h)).toEqual(['dup-1']);
    expect(rejections(h)).toEqual([
      'dup-1:DUPLICATE_COMMAND:place-dup-1',
      'dup-1:DUPLICATE_ORDER_ID:place-dup-1-again',
      'dup-1:DUPLICATE_COMMAND:cancel-dup-1',
    ]);
    await until(
      'dup-1 canceled in MySQL',
      async () =>
        ((await h?.db('orders').where({ order_id: 'dup-1' }).first('status')) as { status?: string } | undefined)
          ?.status === 'CANCELED',
    );
    expect(await h.db('orders').where({ order_id: 'dup-1' }).first('user_id', 'side')).toEqual({
      user_id: 'alice',
      side: 'SELL',
    });

    // Past the de-duplication window the shard no longer remembers the closed order's id and accepts it again;
    // the database refuses to turn alice's row into mallory's: the row is dead-lettered, the shard goes on.
    const later = first.issuedAt + 3_600_000;
    const reuse: Command = {
      ...placeOrder({ orderId: 'dup-1', userId: 'mallory', side: 'BUY', price: '90', quantity: '2' }, 'reuse-dup-1'),
      issuedAt: later,
    };
    await h.router.sendToShard(reuse as never);
    await h.router.sendToShard({
      ...placeOrder({ orderId: 'after-reuse', userId: 'bob', price: '95', quantity: '1' }, 'after-reuse'),
      issuedAt: later + 1,
    } as never);
    await until('after-reuse written', async () =>
      Boolean(await h?.db('orders').where({ order_id: 'after-reuse' }).first()),
    );
    const dead = await h.db('write_dead_letters').where({ row_key: 'dup-1' }).select('kind', 'error_code', 'payload');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ kind: 'order', error_code: 'CHECK_CONSTRAINT_VIOLATED' });
    expect(JSON.parse(dead[0]?.payload as string)).toMatchObject({ orderId: 'dup-1', userId: 'mallory' });
    expect(await h.db('orders').where({ order_id: 'dup-1' }).first('user_id', 'status')).toEqual({
      user_id: 'alice',
      status: 'CANCELED',
    });
    expect(await metricOf(h, 'shardex_engine_rows_dead_lettered_total')).toBe(1);
    expect((await httpGet(h, '/health')).status).toBe(200);
  });
});
