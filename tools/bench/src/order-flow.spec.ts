import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CLIENT_ORDER_ID_PATTERN,
  type Command,
  compileInstrument,
  type EngineEvent,
  type InstrumentSpec,
  priceToTicks,
  quantityToLots,
} from '@shardex/contracts';
import { OrderBook } from '@shardex/order-book';
import { createOrderFlow, type FlowOrder } from './order-flow';

// The instruments `npm run stack` and the bench use: four scales, four tick and lot sizes.
const STACK: InstrumentSpec[] = JSON.parse(
  readFileSync(path.join(__dirname, '../../../k8s/base/config/instruments.json'), 'utf8'),
) as InstrumentSpec[];
const compiled = new Map(
  STACK.map((s) => {
    const c = compileInstrument(s);
    if (!c.ok) throw new Error(c.message);
    return [s.symbol, c.value];
  }),
);
const flow = (seed = 7, users = 16) =>
  createOrderFlow({ instruments: STACK, users, seed, clientOrderIdPrefix: 'run1' });
const take = (n: number, f = flow()) => Array.from({ length: n }, () => f.next());

describe('order flow', () => {
  it('prices every order on its tick and sizes it on its lot, within the instrument’s limits', () => {
    for (const o of take(5_000)) {
      const instrument = compiled.get(o.body.symbol);
      if (!instrument) throw new Error(`unknown symbol ${o.body.symbol}`);
      expect(quantityToLots(instrument, o.body.quantity)).toMatchObject({ ok: true });
      if (o.body.type === 'limit') expect(priceToTicks(instrument, o.body.price)).toMatchObject({ ok: true });
      else expect(o.body.price).toBeUndefined();
    }
  });

  it('rests makers behind the mid and sends takers across it', () => {
    const mid = { 'BTC-USDT': 60_000, 'ETH-USDT': 3_000, 'SOL-USDT': 150, 'XRP-USDT': 0.5 } as Record<string, number>;
    const orders = take(5_000);
    for (const o of orders) {
      const m = mid[o.body.symbol] as number;
      // Number() only to compare sides of the mid in a test, never for money.
      const price = o.body.price === undefined ? undefined : Number(o.body.price);
      if (o.role === 'maker') {
        expect(o.body).toMatchObject({ type: 'limit', timeInForce: 'GTC' });
        expect(o.body.side === 'buy' ? (price as number) < m : (price as number) > m).toBe(true);
      } else if (o.body.type === 'limit') {
        expect(o.body.timeInForce).toBe('IOC');
        expect(o.body.side === 'buy' ? (price as number) > m : (price as number) < m).toBe(true);
      }
    }
    const share = (pred: (o: FlowOrder) => boolean) => orders.filter(pred).length / orders.length;
    expect(share((o) => o.role === 'taker')).toBeGreaterThan(0.4);
    expect(share((o) => o.role === 'taker')).toBeLessThan(0.5);
    expect(share((o) => o.body.type === 'market')).toBeGreaterThan(0.04);
    expect(new Set(orders.map((o) => o.body.symbol))).toEqual(new Set(STACK.map((s) => s.symbol)));
    expect(new Set(orders.map((o) => o.user)).size).toBe(16);
  });

  it('is the same sequence for the same seed and a different one for another seed', () => {
    expect(take(1_000, flow(42))).toEqual(take(1_000, flow(42)));
    expect(take(1_000, flow(42))).not.toEqual(take(1_000, flow(43)));
  });

  it('gives every order a new clientOrderId the gateway accepts', () => {
    const ids = take(2_000).map((o) => o.body.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(new RegExp(CLIENT_ORDER_ID_PATTERN));
    expect(ids[0]).toBe('run1-0');
  });

  it('draws batches for one user', () => {
    const f = flow();
    for (let i = 0; i < 50; i++) expect(f.nextFor(3).user).toBe(3);
    expect(() => f.nextFor(16)).toThrow(RangeError);
  });

  it('refuses options that cannot make valid orders', () => {
    expect(() => createOrderFlow({ instruments: STACK, users: 0, seed: 1, clientOrderIdPrefix: 'x' })).toThrow(/users/);
    expect(() => createOrderFlow({ instruments: [], users: 1, seed: 1, clientOrderIdPrefix: 'x' })).toThrow();
    expect(() =>
      createOrderFlow({
        instruments: STACK,
        users: 1,
        seed: 1,
        clientOrderIdPrefix: 'x',
        mids: { 'BTC-USDT': '1.001' },
      }),
    ).toThrow(/mid/);
    expect(() =>
      createOrderFlow({ instruments: STACK, users: 1, seed: 1, clientOrderIdPrefix: 'has space' }),
    ).toThrow();
  });

  it('trades and keeps the books shallow when a real order book matches it', () => {
    // The flow through the engine's own order book, as a shard would see it after the gateway: the books must stay
    // bounded (a bench that fills them would end up measuring open-order-cap rejections) while most takers trade.
    let n = 0;
    const command = <C extends Command>(c: Omit<C, 'commandId' | 'issuedAt'>): C =>
      ({ ...c, commandId: `c${++n}`, issuedAt: 1_700_000_000_000 + n }) as C;
    const book = new OrderBook({ shardId: 'shard-1' });
    book.apply(command({ code: 'INITIALIZE_ENGINE', payload: { instruments: STACK } }));
    book.apply(command({ code: 'START_ENGINE', payload: {} }));
    const f = flow(3, 32);
    const counts: Record<string, number> = {};
    let mostOpen = 0;
    for (let i = 0; i < 20_000; i++) {
      const { body, user } = f.next();
      const events: EngineEvent[] = book.apply(
        command({
          code: 'PLACE_ORDER',
          payload: {
            orderId: `o${i}`,
            userId: `u${user}`,
            symbol: body.symbol,
            side: body.side === 'buy' ? 'BUY' : 'SELL',
            type: body.type === 'limit' ? 'LIMIT' : 'MARKET',
            timeInForce: body.timeInForce ?? 'IOC',
            quantity: body.quantity,
            ...(body.price !== undefined && { price: body.price }),
          },
        }),
      );
      for (const e of events) counts[e.code] = (counts[e.code] ?? 0) + 1;
      mostOpen = Math.max(mostOpen, book.openOrderCount);
    }
    expect(counts['ORDER_REJECTED'] ?? 0).toBe(0);
    expect(counts['ORDER_ACCEPTED']).toBe(20_000);
    expect(counts['TRADE']).toBeGreaterThan(8_000);
    // Four books, each a random walk pushed back towards empty: a few hundred orders at most, far from any cap.
    expect(mostOpen).toBeLessThan(1_000);
  });
});
