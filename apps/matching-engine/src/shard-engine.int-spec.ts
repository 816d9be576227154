import { type Command, encodeCommand } from '@shardex/contracts';
import { cancelAllOrders, placeOrder, TEST } from '@shardex/contracts/testing';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startShard } from './app';
import { loadConfig } from './config';
import { DLQ_CODE } from './shard-engine';
import { bySeq, cmd, type Harness, setUp, tearDown, until } from './testing/in-process';

// The shard process, wired as in production (real Kafka, real MySQL), driven through its topics.

describe('shard engine (real Kafka + MySQL)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await tearDown(h);
    h = undefined;
  });

  it('consumes input produced before START only after START, in order', async () => {
    h = await setUp();
    const { router } = h;
    await router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    await until('INITIALIZED', () =>
      h?.events.some((e) => e.code === 'ENGINE_STATE' && e.payload.state === 'INITIALIZED'),
    );
    for (let i = 0; i < 5; i++)
      await router.sendToShard(
        placeOrder({ orderId: `early-${i}`, side: 'SELL', price: String(100 + i), quantity: '1' }),
      );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.events.filter((e) => e.code === 'ORDER_ACCEPTED')).toEqual([]);
    const port = (h.shard.server.address() as AddressInfo).port;
    const get = async (url: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`);
      return { status: res.status, body: await res.text() };
    };
    expect(await get('/health')).toMatchObject({ status: 200 });
    expect(await get('/ready')).toMatchObject({ status: 503 }); // INITIALIZED, not RUNNING
    expect(Number((await h.db('orders').count({ n: '*' }))[0]?.['n'])).toBe(0);

    await router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
    await until('5 accepted', () => h && h.events.filter((e) => e.code === 'ORDER_ACCEPTED').length === 5);
    const accepted = bySeq(h.events).filter((e) => e.code === 'ORDER_ACCEPTED');
    expect(accepted.map((e) => (e.code === 'ORDER_ACCEPTED' ? e.payload.orderId : ''))).toEqual([
      'early-0',
      'early-1',
      'early-2',
      'early-3',
      'early-4',
    ]);
    expect(
      bySeq(h.events).map((e) => (e.code === 'ENGINE_STATE' ? `${e.payload.previous}->${e.payload.state}` : e.code)),
    ).toEqual([
      'NEW->INITIALIZED',
      'INITIALIZED->RUNNING',
      'ORDER_ACCEPTED',
      'ORDER_ACCEPTED',
      'ORDER_ACCEPTED',
      'ORDER_ACCEPTED',
      'ORDER_ACCEPTED',
    ]);
    await until('rows', async () => Number((await h?.db('orders').count({ n: '*' }))?.[0]?.['n']) === 5);
    await until('ready', async () => (await get('/ready')).status === 200);
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/shardex_engine_commands_total\{shard="shard-1"\} 7/);
    expect(metrics).toMatch(/shardex_engine_state\{state="RUNNING",shard="shard-1"\} 1/);
    expect(metrics).toMatch(/shardex_write_buffer_rows_written\{shard="shard-1"\} \d+/);
    // A re-broadcast lifecycle command is harmless: acknowledged, nothing changes.
    await router.broadcastToAllShards({
      commandId: 'cmd-1',
      code: 'INITIALIZE_ENGINE',
      issuedAt: 0,
      payload: { instruments: [TEST] },
    });
    await router.broadcastToAllShards(cmd({ code: 'STOP_ENGINE', payload: {} }));
    await until('STOPPED', () => h?.shard.node.engine?.state === 'STOPPED');
  });

  it('turns a scripted order stream into the expected trades, order rows and events', async () => {
    h = await setUp();
    const { router } = h;
    await router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    await router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
    const script = [
      placeOrder({ orderId: 's1', userId: 'alice', side: 'SELL', price: '100', quantity: '5' }),
      placeOrder({ orderId: 's2', userId: 'bob', side: 'SELL', price: '101', quantity: '5' }),
      placeOrder({ orderId: 'b1', userId: 'carol', side: 'BUY', price: '101', quantity: '7' }),
      placeOrder({ orderId: 'b2', userId: 'dave', side: 'BUY', price: '99', quantity: '2' }),
      // On the orders' own clock: an order command more than the de-duplication window older than the newest is stale.
      {
        ...cmd({ code: 'CANCEL_ORDER', payload: { orderId: 'b2', userId: 'dave', symbol: 'TEST' } }),
        issuedAt: 1_700_000_000_000,
      } as Command,
      placeOrder({ orderId: 'm1', userId: 'erin', side: 'BUY', type: 'MARKET', timeInForce: 'IOC', quantity: '10' }),
    ];
    for (const c of script) await router.sendToShard(c as never);
    await until('m1 expired', () => h?.events.some((e) => e.code === 'ORDER_EXPIRED' && e.payload.orderId === 'm1'));
    await until('rows', async () => Number((await h?.db('orders').count({ n: '*' }))?.[0]?.['n']) === 5);

    const trades = await h.db('trades').orderBy('seq').select('price', 'quantity', 'taker_order_id', 'maker_order_id');
    expect(trades.map((t) => `${t.quantity}@${t.price} ${t.taker_order_id}<-${t.maker_order_id}`)).toEqual([
      '5.000000000000000000@100.000000000000000000 b1<-s1',
      '2.000000000000000000@101.000000000000000000 b1<-s2',
      '3.000000000000000000@101.000000000000000000 m1<-s2',
    ]);
    const orders = await h.db('orders').orderBy('order_id').select('order_id', 'status', 'filled_quantity', 'reason');
    expect(
      orders.map((o) => `${o.order_id} ${o.status} ${Number(o.filled_quantity)} ${o.reason ?? ''}`.trim()),
    ).toEqual(['b1 FILLED 7', 'b2 CANCELED 0 USER', 'm1 EXPIRED 3 NO_LIQUIDITY', 's1 FILLED 5', 's2 FILLED 5']);
    const codes = bySeq(h.events)
      .filter((e) => e.code !== 'ENGINE_STATE')
      .map((e) => e.code);
    expect(codes.filter((c) => c === 'TRADE')).toHaveLength(3);
    expect(new Set(bySeq(h.events).map((e) => e.seq)).size).toBe(bySeq(h.events).length);
  });

  it('cancels all of one user’s open orders on a symbol in one command: events and rows; a malformed one is dead-lettered', async () => {
    h = await setUp();
    const { router, producer } = h;
    await router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    await router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
    for (const c of [
      placeOrder({ orderId: 'a-s2', userId: 'alice', side: 'SELL', price: '102', quantity: '1' }),
      placeOrder({ orderId: 'a-s1', userId: 'alice', side: 'SELL', price: '101', quantity: '3' }),
      placeOrder({ orderId: 'a-b1', userId: 'alice', side: 'BUY', price: '98', quantity: '2' }),
      placeOrder({ orderId: 'b-s1', userId: 'bob', side: 'SELL', price: '101', quantity: '1' }),
      placeOrder({ orderId: 'c-b1', userId: 'carol', side: 'BUY', price: '101', quantity: '1' }), // fills 1 of a-s1
    ])
      await router.sendToShard(c);
    const all = cancelAllOrders('alice', 'TEST', 'cancel-all-alice');
    await router.sendToShard(all);
    // Malformed: dead-lettered (it names no order), and the shard goes on.
    const bad = encodeCommand(cancelAllOrders('alice', 'TEST', 'cancel-all-bad'));
    await producer.send({ topic: h.topics.name('input'), ...bad, value: bad.value.replace('"alice"', '"al ice"') });
    await router.sendToShard(cancelAllOrders('alice', 'TEST', 'cancel-all-again'));
    await until('the second cancel-all answered', () => h?.events.some((e) => e.commandId === 'cancel-all-again'));

    const answers = bySeq(h.events)
      .filter((e) => e.commandId?.startsWith('cancel-all-'))
      .map((e) =>
        e.code === 'ORDER_CANCELED'
          ? `${e.commandId} CANCELED ${e.payload.orderId} ${e.payload.filledQuantity}+${e.payload.canceledQuantity}`
          : e.code === 'ORDER_REJECTED'
            ? `${e.commandId} REJECTED ${e.payload.reason}`
            : `${e.commandId} ${e.code}`,
      );
    // Book priority: bids best first, then asks best first (not the order alice placed them in).
    expect(answers).toEqual([
      'cancel-all-alice CANCELED a-b1 0+2',
      'cancel-all-alice CANCELED a-s1 1+2',
      'cancel-all-alice CANCELED a-s2 0+1',
      'cancel-all-again REJECTED ORDER_NOT_FOUND',
    ]);
    await until('dead letter', () => h && h.dlq.length >= 1);
    expect(h.dlq).toEqual([
      expect.objectContaining({ headers: expect.objectContaining({ [DLQ_CODE]: 'CODEC_ERR_SCHEMA' }) }),
    ]);
    const status = async () =>
      (await h?.db('orders').orderBy('order_id').select('order_id', 'status', 'filled_quantity', 'reason'))?.map((o) =>
        `${o.order_id} ${o.status} ${Number(o.filled_quantity)} ${o.reason ?? ''}`.trim(),
      );
    await until('rows', async () => (await status())?.filter((r) => r.includes('CANCELED')).length === 3);
    expect(await status()).toEqual([
      'a-b1 CANCELED 0 USER',
      'a-s1 CANCELED 1 USER',
      'a-s2 CANCELED 0 USER',
      'b-s1 NEW 0',
      'c-b1 FILLED 1',
    ]);
    expect((await h.shard.node.whenActive()).state).toBe('RUNNING');
  });

  it('dead-letters undecodable input, rejects malformed orders it can name, and carries on', async () => {
    h = await setUp();
    const { router, producer } = h;
    await router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    await router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
    const input = h.topics.name('input');
    await producer.send({
      topic: input,
      key: 'TEST',
      value: 'not json at all',
      headers: { 'shardex-schema-version': '1' },
    });
    const bad = encodeCommand(placeOrder({ orderId: 'bad-1', price: '100' }));
    await producer.send({ topic: input, ...bad, value: bad.value.replace('"side":"BUY"', '"side":"SIDEWAYS"') });
    await producer.send({
      topic: input,
      ...encodeCommand(placeOrder({ orderId: 'wrong-version', price: '100' })),
      headers: { 'shardex-schema-version': '9' },
    });
    await router.sendToShard(placeOrder({ orderId: 'good-1', price: '100', quantity: '1' }));

    await until('good order accepted', () =>
      h?.events.some((e) => e.code === 'ORDER_ACCEPTED' && e.payload.orderId === 'good-1'),
    );
    await until('dead letter', () => h && h.dlq.length >= 1);
    expect(h.dlq).toEqual([
      expect.objectContaining({
        value: 'not json at all',
        headers: expect.objectContaining({ [DLQ_CODE]: 'CODEC_ERR_MALFORMED' }),
      }),
    ]);
    const rejected = bySeq(h.events).filter((e) => e.code === 'ORDER_REJECTED');
    expect(
      rejected.map((e) => (e.code === 'ORDER_REJECTED' ? [e.payload.orderId, e.payload.reason, e.payload.detail] : [])),
    ).toEqual([
      ['bad-1', 'MALFORMED_COMMAND', 'CODEC_ERR_SCHEMA'],
      ['wrong-version', 'MALFORMED_COMMAND', 'CODEC_ERR_UNKNOWN_VERSION'],
    ]);
  });

  it('restarts from its latest snapshot and replays to the same state', async () => {
    h = await setUp({ SNAPSHOT_EVERY_COMMANDS: '3' });
    const { router } = h;
    await router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    await router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
    for (let i = 0; i < 10; i++)
      await router.sendToShard(
        placeOrder({
          orderId: `r-${i}`,
          userId: `u${i % 3}`,
          side: i % 2 ? 'BUY' : 'SELL',
          price: String(100 + (i % 3)),
          quantity: '2',
        }),
      );
    await until('10 processed', () => h && h.shard.node.metrics.commandsApplied >= 12);
    const engine = await h.shard.node.whenActive();
    await h.shard.stop();
    const before = {
      seq: engine.lastSeq,
      rows: await h.db('orders').orderBy('order_id').select('order_id', 'status', 'filled_quantity', 'version'),
    };
    expect(Number((await h.db('engine_snapshots').count({ n: '*' }))[0]?.['n'])).toBeGreaterThan(0);

    h.shard = await startShard(loadConfig(h.env), pino({ level: 'warn' }));
    const restarted = await h.shard.node.whenActive();
    expect(restarted.state).toBe('RUNNING');
    expect(restarted.lastSeq).toBe(before.seq);
    await router.sendToShard(placeOrder({ orderId: 'after', userId: 'zed', side: 'BUY', price: '102', quantity: '1' }));
    await until('after accepted', () =>
      h?.events.some((e) => e.code === 'ORDER_ACCEPTED' && e.payload.orderId === 'after'),
    );
    const accepted = h.events.find((e) => e.code === 'ORDER_ACCEPTED' && e.payload.orderId === 'after');
    expect(accepted?.seq).toBeGreaterThan(before.seq);
    const rows = await h
      .db('orders')
      .whereNot({ order_id: 'after' })
      .orderBy('order_id')
      .select('order_id', 'status', 'filled_quantity', 'version');
    // Orders 'after' touched may have moved on; the rest are exactly as before the restart.
    const touched = new Set(
      h.events
        .filter((e) => e.seq > before.seq && 'payload' in e)
        .map((e) => (e.payload as { makerOrderId?: string }).makerOrderId),
    );
    expect(rows.filter((r) => !touched.has(r.order_id))).toEqual(before.rows.filter((r) => !touched.has(r.order_id)));
  });

  it('runs a second process of the shard as a standby that never writes, and stops it at once', async () => {
    h = await setUp({ NODE_ID: 'node-a' });
    const standby = await startShard(loadConfig({ ...h.env, NODE_ID: 'node-b' }), pino({ level: 'warn' }));
    try {
      await until('b is a standby', () => standby.node.role === 'standby');
      const port = (standby.server.address() as AddressInfo).port;
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200); // alive...
      expect(await health.json()).toMatchObject({ role: 'standby' });
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503); // ...but not the one that works
      await h.router.broadcastToAllShards(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
      await h.router.broadcastToAllShards(cmd({ code: 'START_ENGINE', payload: {} }));
      await h.router.sendToShard(placeOrder({ orderId: 'one-writer', price: '100' }));
      await until('written', async () => Boolean(await h?.db('orders').where({ order_id: 'one-writer' }).first()));
      const epochs = (await h.db('orders').distinct('writer_epoch')) as Array<{ writer_epoch: string }>;
      expect(epochs.map((e) => Number(e.writer_epoch))).toEqual([h.shard.node.epoch]);
      expect(standby.node.engine).toBeNull();
    } finally {
      const started = Date.now();
      await standby.stop();
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect(h.shard.node.role).toBe('active');
  });
});
