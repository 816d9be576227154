import { getTestInfra } from '@shardex/testing';
import WebSocket from 'ws';
import { readOutput } from './support/ledger';
import { until } from './support/processes';
import { type SystemStack, startStack } from './support/stack';
import { call } from './support/traders';

/**
 * The whole system as users run it — two shards and a gateway, each its own process, set up by the orchestrator —
 * driven over HTTP and WebSocket, with assertions on what reached MySQL and the shards' output topics.
 */

let stack: SystemStack;
let ws: WebSocket | undefined;
const api = (method: string, url: string, who: 'alice' | 'bob' | null, body?: unknown) =>
  call(stack.gatewayUrl, method, url, who ? (stack.keys[who] as string) : null, body);

beforeAll(async () => {
  stack = await startStack({
    label: 'system',
    infra: getTestInfra(),
    symbols: { 'shard-1': ['AAA-USD'], 'shard-2': ['BBB-USD'] },
    users: ['alice', 'bob'],
  });
}, 300_000);

afterAll(async () => {
  ws?.terminate();
  await stack?.close();
});

describe('orders on both shards', () => {
  it('trade, and the trades reach MySQL, the output topics and the WebSocket stream', async () => {
    expect(stack.shardOf('AAA-USD')).toBe('shard-1');
    expect(stack.shardOf('BBB-USD')).toBe('shard-2');
    ws = new WebSocket(`${stack.gatewayUrl.replace('http', 'ws')}/v1/stream`, {
      headers: { 'x-api-key': stack.keys['bob'] as string },
    });
    const messages: Array<Record<string, unknown>> = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    const socket = ws;
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ op: 'subscribe', args: ['trades:AAA-USD', 'trades:BBB-USD', 'orders'], id: 1 }));
    await until('the subscription', () => messages.some((m) => m['type'] === 'subscribed'));

    const fills: Record<string, unknown> = {};
    for (const symbol of ['AAA-USD', 'BBB-USD']) {
      const sell = await api('POST', '/v1/orders', 'alice', {
        symbol,
        side: 'sell',
        type: 'limit',
        price: '101.50',
        quantity: '3.00',
        clientOrderId: `sell-${symbol}`,
      });
      expect(sell.status).toBe(202);
      const buy = await api('POST', '/v1/orders', 'bob', {
        symbol,
        side: 'buy',
        type: 'limit',
        price: '102.00',
        quantity: '2.00',
        clientOrderId: `buy-${symbol}`,
        responseType: 'result',
      });
      expect(buy.status).toBe(201);
      expect(buy.body).toMatchObject({
        symbol,
        shardId: stack.shardOf(symbol),
        status: 'filled',
        filledQuantity: '2.00',
      });
      expect(buy.body['fills']).toEqual([
        expect.objectContaining({
          price: '101.50',
          quantity: '2.00',
          liquidity: 'taker',
          orderId: buy.body['orderId'],
        }),
      ]);
      fills[symbol] = { sell: sell.body['orderId'], buy: buy.body['orderId'] };
    }

    // MySQL: one trade per symbol, written by the shard that owns it, between the right orders and users.
    const rows = await until('both trades in MySQL', async () => {
      const r = await stack.db('trades').whereIn('symbol', ['AAA-USD', 'BBB-USD']).orderBy('symbol');
      return r.length === 2 ? r : undefined;
    });
    expect(
      rows.map((r) => [r.symbol, r.shard_id, Number(r.price), Number(r.quantity), r.taker_user_id, r.maker_user_id]),
    ).toEqual([
      ['AAA-USD', 'shard-1', 101.5, 2, 'bob', 'alice'],
      ['BBB-USD', 'shard-2', 101.5, 2, 'bob', 'alice'],
    ]);
    expect(rows.map((r) => [r.taker_order_id, r.maker_order_id])).toEqual(
      ['AAA-USD', 'BBB-USD'].map((s) => [(fills[s] as { buy: string }).buy, (fills[s] as { sell: string }).sell]),
    );
    const resting = await stack.db('orders').whereIn(
      'order_id',
      ['AAA-USD', 'BBB-USD'].map((s) => (fills[s] as { sell: string }).sell),
    );
    expect(resting.map((o) => [o.status, Number(o.filled_quantity)])).toEqual([
      ['PARTIALLY_FILLED', 2],
      ['PARTIALLY_FILLED', 2],
    ]);

    // The output topics: each shard published its own trade, with the trade id the row has.
    const output = await readOutput(stack.infra, [stack.topic('shard-1', 'output'), stack.topic('shard-2', 'output')]);
    const trades = output.filter((o) => o.event.code === 'TRADE').map((o) => o.event);
    expect(trades.map((t) => [t.shardId, t.code === 'TRADE' && t.payload.symbol]).sort()).toEqual([
      ['shard-1', 'AAA-USD'],
      ['shard-2', 'BBB-USD'],
    ]);
    expect(trades.map((t) => t.code === 'TRADE' && t.payload.tradeId).sort()).toEqual(
      rows.map((r) => r.trade_id).sort(),
    );

    // The stream: both trades, and bob's own order events (never alice's).
    await until('both trades on the stream', () => messages.filter((m) => m['type'] === 'trade').length >= 2);
    const streamed = messages.filter((m) => m['type'] === 'trade').map((m) => m['channel']);
    expect(streamed.sort()).toEqual(['trades:AAA-USD', 'trades:BBB-USD']);
    await until(
      'bob’s fills on his orders channel',
      () => messages.filter((m) => m['type'] === 'order' && m['event'] === 'ORDER_FILLED').length >= 2,
    );
    const own = messages.filter((m) => m['type'] === 'order');
    const bobs = new Set(['AAA-USD', 'BBB-USD'].map((s) => (fills[s] as { buy: string }).buy));
    expect(own.length).toBeGreaterThanOrEqual(4); // accepted and filled, twice
    for (const m of own) expect(bobs).toContain((m['data'] as { orderId: string }).orderId);
    socket.close();
  });

  it('cancel, and one user can neither see nor cancel another’s orders', async () => {
    const placed = await api('POST', '/v1/orders', 'alice', {
      symbol: 'BBB-USD',
      side: 'buy',
      type: 'limit',
      price: '90.00',
      quantity: '1.00',
      clientOrderId: 'rest-1',
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body['orderId'] as string;
    await until(
      'the resting order in MySQL',
      async () => (await api('GET', `/v1/orders/${orderId}`, 'alice')).status === 200,
    );

    expect((await api('GET', `/v1/orders/${orderId}`, 'bob')).status).toBe(404);
    expect((await api('DELETE', `/v1/orders/${orderId}`, 'bob')).status).toBe(404);
    expect((await api('DELETE', '/v1/orders?clientOrderId=rest-1', 'bob')).status).toBe(404);
    const bobs = await api('GET', '/v1/orders?symbol=BBB-USD', 'bob');
    expect(bobs.body['orders'].map((o: { orderId: string }) => o.orderId)).not.toContain(orderId);
    // Bob's cancel-all on the symbol leaves alice's order alone.
    expect((await api('DELETE', '/v1/orders?symbol=BBB-USD', 'bob')).status).toBe(202);

    expect((await api('DELETE', `/v1/orders/${orderId}`, 'alice')).status).toBe(202);
    const canceled = await until('the cancel in MySQL', async () => {
      const o = await api('GET', `/v1/orders/${orderId}`, 'alice');
      return o.body['status'] === 'canceled' ? o.body : undefined;
    });
    expect(canceled).toMatchObject({ orderId, filledQuantity: '0.00', status: 'canceled' });
    // The book no longer holds it.
    const depth = await api('GET', '/v1/markets/BBB-USD/depth?levels=5', null);
    expect(depth.body['bids']).toEqual([]);

    // Cancel by clientOrderId and cancel-all, by the owner.
    const ids: string[] = [];
    for (const cid of ['rest-2', 'rest-3']) {
      const r = await api('POST', '/v1/orders', 'alice', {
        symbol: 'AAA-USD',
        side: 'buy',
        type: 'limit',
        price: '90.00',
        quantity: '1.00',
        clientOrderId: cid,
      });
      expect(r.status).toBe(202);
      ids.push(r.body['orderId'] as string);
    }
    expect((await api('DELETE', '/v1/orders?clientOrderId=rest-2', 'alice')).status).toBe(202);
    await until(
      'rest-2 canceled',
      async () => (await api('GET', `/v1/orders/${ids[0]}`, 'alice')).body['status'] === 'canceled',
    );
    expect((await api('GET', `/v1/orders/${ids[1]}`, 'alice')).body['status']).toBe('new');
    // Cancel-all takes the rest of alice's orders on the symbol, the partly filled sell of the first test too.
    expect((await api('DELETE', '/v1/orders?symbol=AAA-USD', 'alice')).status).toBe(202);
    await until(
      'rest-3 canceled',
      async () => (await api('GET', `/v1/orders/${ids[1]}`, 'alice')).body['status'] === 'canceled',
    );
    await until('no open order of alice on AAA-USD', async () => {
      const open = await api('GET', '/v1/orders?symbol=AAA-USD&status=open', 'alice');
      return open.status === 200 && open.body['orders'].length === 0;
    });
  });
});
