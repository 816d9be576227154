import fc from 'fast-check';
import { type Command, type EngineEvent, STP_MODES } from '@shardex/contracts';
import { TEST } from '@shardex/contracts/testing';
import { OrderBook } from './order-book';

// Properties over random command streams: two symbols, three users, prices around 100, every order type,
// time in force, post-only and STP mode, and cancels of earlier (possibly closed or unknown) orders.

const SYMBOLS = ['TEST', 'TWO'];
const instruments = [
  TEST,
  { ...TEST, symbol: 'TWO', marketPriceBandBps: 300, selfTradePrevention: 'CANCEL_OLDEST' as const },
];

type Gen =
  | {
      kind: 'place';
      symbol: number;
      user: number;
      side: 'BUY' | 'SELL';
      market: boolean;
      tif: 'GTC' | 'IOC' | 'FOK';
      price: number;
      qty: number;
      postOnly: boolean;
      stp: number;
    }
  | { kind: 'cancel'; target: number; user: number; symbol: number };

const genCommand: fc.Arbitrary<Gen> = fc.oneof(
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      symbol: fc.integer({ min: 0, max: 1 }),
      user: fc.integer({ min: 1, max: 3 }),
      side: fc.constantFrom('BUY' as const, 'SELL' as const),
      market: fc.integer({ min: 0, max: 9 }).map((x) => x < 2),
      tif: fc.constantFrom('GTC' as const, 'GTC' as const, 'IOC' as const, 'FOK' as const),
      price: fc.integer({ min: 95, max: 105 }),
      qty: fc.integer({ min: 1, max: 10 }),
      postOnly: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      stp: fc.integer({ min: -1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      target: fc.nat({ max: 400 }),
      user: fc.integer({ min: 1, max: 3 }),
      symbol: fc.integer({ min: 0, max: 1 }),
    }),
  },
);

/** Turns generated records into real commands; market orders get IOC/FOK, post-only only on GTC limits. */
function toCommands(gens: Gen[]): Command[] {
  const cmds: Command[] = [
    { commandId: 'init', code: 'INITIALIZE_ENGINE', issuedAt: 0, payload: { instruments } },
    { commandId: 'start', code: 'START_ENGINE', issuedAt: 0, payload: {} },
  ];
  let placed = 0;
  const owner: Array<{ user: number; symbol: number }> = [];
  gens.forEach((g, i) => {
    if (g.kind === 'place') {
      const tif = g.market && g.tif === 'GTC' ? 'IOC' : g.tif;
      owner.push({ user: g.user, symbol: g.symbol });
      cmds.push({
        commandId: `k${i}`,
        code: 'PLACE_ORDER',
        issuedAt: i,
        payload: {
          orderId: `o${placed++}`,
          userId: `u${g.user}`,
          symbol: SYMBOLS[g.symbol] as string,
          side: g.side,
          type: g.market ? 'MARKET' : 'LIMIT',
          timeInForce: tif,
          ...(g.market ? {} : { price: String(g.price) }),
          quantity: String(g.qty),
          ...(g.postOnly && !g.market && tif === 'GTC' ? { postOnly: true } : {}),
          ...(g.stp >= 0 ? { selfTradePrevention: STP_MODES[g.stp] } : {}),
        },
      });
    } else {
      // Mostly the real owner and symbol of an existing order; sometimes wrong ones or unknown ids.
      const target = placed === 0 ? g.target : g.target % (placed + 2);
      const o = owner[target];
      const right = o !== undefined && g.user !== 3;
      cmds.push({
        commandId: `k${i}`,
        code: 'CANCEL_ORDER',
        issuedAt: i,
        payload: {
          orderId: `o${target}`,
          userId: right ? `u${o.user}` : `u${g.user}`,
          symbol: SYMBOLS[right ? o.symbol : g.symbol] as string,
        },
      });
    }
  });
  return cmds;
}

function run(
  cmds: Command[],
  onEach?: (book: OrderBook, events: EngineEvent[], c: Command) => void,
): { book: OrderBook; events: EngineEvent[] } {
  const book = new OrderBook({ shardId: 'shard-p' });
  const events: EngineEvent[] = [];
  for (const c of cmds) {
    const out = book.apply(c);
    onEach?.(book, out, c);
    events.push(...out);
  }
  return { book, events };
}

// size 'max': fast-check's default size would keep streams around 6 commands, too short to build a book.
const streams = fc.array(genCommand, { minLength: 1, maxLength: 300, size: 'max' });
const runs = { numRuns: 150 };

describe('order book properties', () => {
  it('is never crossed after matching', () => {
    fc.assert(
      fc.property(streams, (gens) => {
        run(toCommands(gens), (book) => {
          for (const symbol of SYMBOLS) {
            const d = book.depth(symbol, 1);
            const bid = d?.bids[0];
            const ask = d?.asks[0];
            if (bid && ask) expect(Number(bid[0])).toBeLessThan(Number(ask[0]));
          }
        });
      }),
      runs,
    );
  });

  it('conserves quantity: placed = filled + open + canceled + expired, per order', () => {
    fc.assert(
      fc.property(streams, (gens) => {
        const { book, events } = run(toCommands(gens));
        const placed = new Map<string, number>();
        const filled = new Map<string, number>();
        const closed = new Map<string, number>();
        const add = (m: Map<string, number>, k: string, v: string) => m.set(k, (m.get(k) ?? 0) + Number(v));
        for (const e of events) {
          if (e.code === 'ORDER_ACCEPTED') add(placed, e.payload.orderId, e.payload.quantity);
          if (e.code === 'TRADE') {
            add(filled, e.payload.takerOrderId, e.payload.quantity);
            add(filled, e.payload.makerOrderId, e.payload.quantity);
          }
          if (e.code === 'ORDER_CANCELED') add(closed, e.payload.orderId, e.payload.canceledQuantity);
          if (e.code === 'ORDER_EXPIRED') add(closed, e.payload.orderId, e.payload.expiredQuantity);
          // Status events agree with the trades seen so far.
          if (
            e.code === 'ORDER_FILLED' ||
            e.code === 'ORDER_UPDATED' ||
            e.code === 'ORDER_CANCELED' ||
            e.code === 'ORDER_EXPIRED'
          ) {
            expect(Number(e.payload.filledQuantity)).toBe(filled.get(e.payload.orderId) ?? 0);
          }
          if (e.code === 'ORDER_FILLED') expect(filled.get(e.payload.orderId)).toBe(placed.get(e.payload.orderId));
        }
        const open = new Map<string, number>();
        for (const b of book.snapshot().books) for (const [id, , , , qty, f] of b.orders) open.set(id, qty - f);
        // Ids are reused only after an order closes; this stream never reuses them.
        for (const [id, q] of placed) {
          expect({ id, total: (filled.get(id) ?? 0) + (open.get(id) ?? 0) + (closed.get(id) ?? 0) }).toEqual({
            id,
            total: q,
          });
        }
      }),
      runs,
    );
  });

  it('trades at the maker’s price, within both orders’ limits', () => {
    fc.assert(
      fc.property(streams, (gens) => {
        const cmds = toCommands(gens);
        const limit = new Map<string, { side: string; price?: number }>();
        for (const c of cmds) {
          if (c.code === 'PLACE_ORDER')
            limit.set(c.payload.orderId, {
              side: c.payload.side,
              price: c.payload.price === undefined ? undefined : Number(c.payload.price),
            });
        }
        const { events } = run(cmds);
        for (const e of events) {
          if (e.code !== 'TRADE') continue;
          const price = Number(e.payload.price);
          const maker = limit.get(e.payload.makerOrderId);
          const taker = limit.get(e.payload.takerOrderId);
          expect(price).toBe(maker?.price);
          for (const o of [maker, taker]) {
            if (o?.price === undefined) continue; // market order: bounded by its band instead
            if (o.side === 'BUY') expect(price).toBeLessThanOrEqual(o.price);
            else expect(price).toBeGreaterThanOrEqual(o.price);
          }
        }
      }),
      runs,
    );
  });

  it('is deterministic, and a snapshot restored at any point continues identically', () => {
    fc.assert(
      fc.property(streams, fc.nat(), (gens, at) => {
        const cmds = toCommands(gens);
        const cut = at % (cmds.length + 1);
        const full = run(cmds);
        expect(JSON.stringify(run(cmds).events)).toBe(JSON.stringify(full.events));

        const first = run(cmds.slice(0, cut));
        const restored = OrderBook.restore(JSON.parse(JSON.stringify(first.book.snapshot())));
        const rest: EngineEvent[] = [];
        for (const c of cmds.slice(cut)) rest.push(...restored.apply(c));
        rest.push(...restored.takeDepthEvents(5));
        full.events.push(...full.book.takeDepthEvents(5));
        expect(JSON.stringify([...first.events, ...rest])).toBe(JSON.stringify(full.events));
      }),
      runs,
    );
  });

  it('follows price-time priority exactly: makers in queue order, each exhausted before the next', () => {
    fc.assert(
      fc.property(streams, (gens) => {
        const cmds = toCommands(gens);
        const book = new OrderBook({ shardId: 'shard-p' });
        for (const c of cmds) {
          if (c.code !== 'PLACE_ORDER') {
            book.apply(c);
            continue;
          }
          const p = c.payload;
          const entry = book.snapshot().books.find((b) => b.symbol === p.symbol);
          // The opposite side's queue, best price first, FIFO within a price.
          const queue = (entry?.orders ?? []).filter(([, , side]) => side === (p.side === 'BUY' ? 1 : 0));
          let next = 0;
          let takerLeft = Number(p.quantity);
          for (const e of book.apply(c)) {
            const makerId =
              e.code === 'TRADE'
                ? e.payload.makerOrderId
                : e.code === 'ORDER_CANCELED' && e.payload.orderId !== p.orderId
                  ? e.payload.orderId
                  : undefined;
            if (makerId === undefined) continue;
            // The maker of each trade (or STP cancel) is the head of the queue; earlier heads were used up.
            const maker = queue[next];
            if (maker?.[0] !== makerId) {
              throw new Error(
                `${p.orderId} reached ${makerId}, but ${maker?.[0] ?? 'nothing'} was at the head of the queue`,
              );
            }
            if (e.code === 'TRADE') {
              const makerLeft = maker[4] - maker[5];
              const lots = Number(e.payload.quantity);
              expect(lots).toBe(Math.min(makerLeft, takerLeft));
              takerLeft -= lots;
              maker[5] += lots;
              if (maker[5] === maker[4]) next++;
            } else {
              next++;
            }
          }
        }
      }),
      runs,
    );
  });

  it('never trades a user with itself unless the incoming order said NONE', () => {
    fc.assert(
      fc.property(streams, (gens) => {
        const cmds = toCommands(gens);
        const stp = new Map<string, string>();
        for (const c of cmds) {
          if (c.code === 'PLACE_ORDER') {
            const inst = instruments.find((i) => i.symbol === c.payload.symbol);
            stp.set(c.payload.orderId, c.payload.selfTradePrevention ?? inst?.selfTradePrevention ?? 'CANCEL_NEWEST');
          }
        }
        for (const e of run(cmds).events) {
          if (e.code === 'TRADE' && e.payload.takerUserId === e.payload.makerUserId) {
            expect(stp.get(e.payload.takerOrderId)).toBe('NONE');
          }
        }
      }),
      runs,
    );
  });
});
