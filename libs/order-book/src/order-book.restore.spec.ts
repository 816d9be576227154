import fc from 'fast-check';
import type { Command, InstrumentSpec, PlaceOrderPayload } from '@shardex/contracts';
import { TEST } from '@shardex/contracts/testing';
import { OrderBookError } from './errors';
import { OrderBook } from './order-book';
import type { BookSnapshot, BookSnapshotV1 } from './snapshot';

// restore() is the way back from a stored snapshot: it must refuse, with a coded error, every state that no run of
// commands could have produced, and read version-1 snapshots already stored by earlier builds.

const OTHER: InstrumentSpec = { ...TEST, symbol: 'OTHER' };
function order(p: Partial<PlaceOrderPayload> & { orderId: string }, issuedAt = 2_000): Command {
  return {
    commandId: `k-${p.orderId}`,
    code: 'PLACE_ORDER',
    issuedAt,
    payload: { userId: 'u1', symbol: 'TEST', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', ...p },
  };
}

/** A RUNNING book with orders on both sides of two symbols, a pending depth update and de-duplication memory. */
function sample(instruments: InstrumentSpec[] = [TEST, OTHER]): OrderBook {
  const book = new OrderBook({ shardId: 'shard-r', dedupWindowMs: 1_000 });
  book.apply({ commandId: 'init', code: 'INITIALIZE_ENGINE', issuedAt: 0, payload: { instruments } });
  book.apply({ commandId: 'start', code: 'START_ENGINE', issuedAt: 0, payload: {} });
  book.apply(order({ orderId: 'b1', price: '99', quantity: '3' }, 1_900));
  book.apply(order({ orderId: 'b2', price: '98', quantity: '2', userId: 'u2' }));
  book.apply(order({ orderId: 's1', side: 'SELL', price: '101', quantity: '4', userId: 'u2' }));
  book.apply(order({ orderId: 'x', side: 'SELL', price: '99', quantity: '1', userId: 'u3' }));
  book.apply(order({ orderId: 'o1', symbol: 'OTHER', price: '50', quantity: '1' }));
  return book;
}

const fresh = (): BookSnapshot => JSON.parse(JSON.stringify(sample().snapshot())) as BookSnapshot;
type Json = Record<string, unknown>;
const code = (f: () => unknown): string => {
  try {
    f();
    return 'restored';
  } catch (err) {
    return err instanceof OrderBookError ? err.code : `threw ${String(err)}`;
  }
};

describe('restore: what a valid snapshot looks like', () => {
  it('has the expected shape (the cases below each break one thing in it)', () => {
    const s = fresh();
    expect(s).toMatchObject({
      v: 2,
      shardId: 'shard-r',
      state: 'RUNNING',
      dedupWindowMs: 1_000,
      engineTime: 2_000,
      dirtyOrder: ['TEST', 'OTHER'],
      books: [
        {
          symbol: 'TEST',
          orders: [
            ['b1', 'u1', 0, 99, 3, 1, 1],
            ['b2', 'u2', 0, 98, 2, 0, 1],
            ['s1', 'u2', 1, 101, 4, 0, 1],
          ],
        },
        { symbol: 'OTHER', orders: [['o1', 'u1', 0, 50, 1, 0, 1]] },
      ],
    });
    expect(s.recent.map((e) => e[1])).toEqual(['k-b1', 'k-b2', 'k-s1', 'k-x', 'k-o1']);
    expect(s.recent[0]).toEqual([1_900, 'k-b1', 'b1']);
    expect(code(() => OrderBook.restore(s))).toBe('restored');
  });
});

describe('restore refuses an invalid snapshot', () => {
  const tuple = (s: BookSnapshot, at: number, value: unknown, book = 0) => {
    const orders = s.books[book]?.orders as unknown[][];
    (orders[0] as unknown[])[at] = value;
  };
  const cases: Array<[string, (s: BookSnapshot) => unknown, string?]> = [
    ['not an object', () => null],
    ['a string', () => 'snapshot'],
    ['an unknown version', (s) => ({ ...s, v: 3 }), 'BOOK_ERR_SNAPSHOT_VERSION'],
    ['a version that is not a number', (s) => ({ ...s, v: '2' }), 'BOOK_ERR_SNAPSHOT_VERSION'],
    ['no version', (s) => ({ ...s, v: undefined }), 'BOOK_ERR_SNAPSHOT_VERSION'],
    ['an empty shard id', (s) => ({ ...s, shardId: '' })],
    ['a numeric shard id', (s) => ({ ...s, shardId: 7 })],
    ['a zero window', (s) => ({ ...s, dedupWindowMs: 0 })],
    ['a fractional window', (s) => ({ ...s, dedupWindowMs: 1.5 })],
    ['a window over a day', (s) => ({ ...s, dedupWindowMs: 86_400_001 })],
    ['a negative seq', (s) => ({ ...s, seq: -1 })],
    ['a fractional seq', (s) => ({ ...s, seq: 2.5 })],
    ['a string seq', (s) => ({ ...s, seq: '9' })],
    ['an unknown engine state', (s) => ({ ...s, state: 'PAUSED' })],
    ['a numeric engine state', (s) => ({ ...s, state: 2 })],
    ['lifecycle ids that are not an array', (s) => ({ ...s, lifecycleIds: 'init' })],
    ['a non-string lifecycle id', (s) => ({ ...s, lifecycleIds: ['init', 5] })],
    ['an empty lifecycle id', (s) => ({ ...s, lifecycleIds: [''] })],
    ['a repeated lifecycle id', (s) => ({ ...s, lifecycleIds: ['init', 'init'] })],
    ['instruments that are not an array', (s) => ({ ...s, instruments: {} })],
    ['a null instrument', (s) => ({ ...s, instruments: [null, ...s.instruments] })],
    ['an invalid instrument', (s) => ({ ...s, instruments: [{ ...TEST, tickSize: '0' }, OTHER] })],
    ['an instrument listed twice', (s) => ({ ...s, instruments: [...s.instruments, TEST] })],
    ['a NEW engine with instruments', (s) => ({ ...s, state: 'NEW', books: [], dirtyOrder: [] })],
    ['books that are not an array', (s) => ({ ...s, books: null })],
    ['a null book entry', (s) => ({ ...s, books: [null] })],
    ['orders of an unknown symbol', (s) => ({ ...s, books: [...s.books, { symbol: 'NOPE', orders: [] }] })],
    ['orders of a non-string symbol', (s) => ({ ...s, books: [{ symbol: 5, orders: [] }] })],
    ['a symbol listed twice', (s) => ({ ...s, books: [...s.books, { symbol: 'TEST', orders: [] }] })],
    ['orders that are not an array', (s) => ({ ...s, books: [{ symbol: 'TEST', orders: {} }] })],
    ['a short order tuple', (s) => (s.books[0]?.orders[0]?.pop(), s)],
    ['an order tuple that is an object', (s) => ({ ...s, books: [{ symbol: 'TEST', orders: [{}] }] })],
    ['a non-string order id', (s) => (tuple(s, 0, 5), s)],
    ['an empty order id', (s) => (tuple(s, 0, ''), s)],
    ['a non-string user id', (s) => (tuple(s, 1, null), s)],
    ['an empty user id', (s) => (tuple(s, 1, ''), s)],
    ['a side that is not 0 or 1', (s) => (tuple(s, 2, 2), s)],
    ['a string side', (s) => (tuple(s, 2, 'BUY'), s)],
    ['a zero price', (s) => (tuple(s, 3, 0), s)],
    ['a negative price', (s) => (tuple(s, 3, -99), s)],
    ['a fractional price', (s) => (tuple(s, 3, 99.5), s)],
    ['a string price', (s) => (tuple(s, 3, '99'), s)],
    ['a price past 2^53 units', (s) => (tuple(s, 3, 2 ** 53), s)],
    ['a zero quantity', (s) => (tuple(s, 4, 0), s)],
    ['a quantity above maxQty', (s) => (tuple(s, 4, 1_000_001), s)],
    ['a quantity below minQty', (s) => (((s.instruments[0] as InstrumentSpec).minQty = '4'), s)],
    ['a fractional quantity', (s) => (tuple(s, 4, 3.5), s)],
    ['a negative filled quantity', (s) => (tuple(s, 5, -1), s)],
    ['a filled quantity equal to the quantity', (s) => (tuple(s, 5, 3), s)],
    ['a fractional filled quantity', (s) => (tuple(s, 5, 0.5), s)],
    ['an STP mode past the last', (s) => (tuple(s, 6, 4), s)],
    ['a negative STP mode', (s) => (tuple(s, 6, -1), s)],
    ['an order id used twice in a book', (s) => (tuple(s, 0, 'b2'), s)],
    ['an order id used in two books', (s) => (tuple(s, 0, 'b1', 1), s)],
    ['a crossed book (bid above ask)', (s) => (tuple(s, 3, 102), s)],
    ['a locked book (bid equal to ask)', (s) => (tuple(s, 3, 101), s)],
    ['more open orders than maxOpenOrders', (s) => (((s.instruments[0] as InstrumentSpec).maxOpenOrders = 2), s)],
    [
      'more open orders of a user than maxOpenOrdersPerUser',
      (s) => (((s.instruments[0] as InstrumentSpec).maxOpenOrdersPerUser = 1), s),
    ],
    ['dirtyOrder that is not an array', (s) => ({ ...s, dirtyOrder: 'TEST' })],
    ['an unknown symbol in dirtyOrder', (s) => ({ ...s, dirtyOrder: ['NOPE'] })],
    ['a symbol twice in dirtyOrder', (s) => ({ ...s, dirtyOrder: ['TEST', 'TEST'] })],
    ['a non-string in dirtyOrder', (s) => ({ ...s, dirtyOrder: [null] })],
    ['a negative engine time', (s) => ({ ...s, engineTime: -1 })],
    ['an engine time past 9999', (s) => ({ ...s, engineTime: 253_402_300_800_000 })],
    ['a string engine time', (s) => ({ ...s, engineTime: '1000' })],
    ['a memory that is not an array', (s) => ({ ...s, recent: {} })],
    ['a memory entry that is not a tuple', (s) => ({ ...s, recent: [...s.recent, 'k9'] })],
    ['a memory entry of four fields', (s) => ({ ...s, recent: [...s.recent, [2_000, 'k9', 'o9', 'x']] })],
    ['a memory entry after engine time', (s) => ({ ...s, recent: [...s.recent, [2_001, 'k9']] })],
    ['a memory entry with a negative time', (s) => ({ ...s, recent: [[-1, 'k0'], ...s.recent] })],
    ['a memory entry with a numeric command id', (s) => ({ ...s, recent: [...s.recent, [2_000, 9]] })],
    ['a memory entry with an empty command id', (s) => ({ ...s, recent: [...s.recent, [2_000, '']] })],
    ['a command id remembered twice', (s) => ({ ...s, recent: [...s.recent, [2_000, 'k-b2']] })],
    ['a memory entry with a numeric order id', (s) => ({ ...s, recent: [...s.recent, [2_000, 'k9', 7]] })],
    ['a memory entry with an empty order id', (s) => ({ ...s, recent: [...s.recent, [2_000, 'k9', '']] })],
    ['an order id remembered twice', (s) => ({ ...s, recent: [...s.recent, [2_000, 'k9', 'b1']] })],
    ['a memory whose newest entry is not engine time', (s) => ({ ...s, engineTime: 2_500 })],
    ['a memory whose oldest entry has expired', (s) => ({ ...s, recent: [[999, 'k0'], ...s.recent] })],
    ['an empty memory with an engine time', (s) => ({ ...s, recent: [] })],
  ];

  it.each(cases)('refuses %s', (_why, breakIt, expected = 'BOOK_ERR_SNAPSHOT_INVALID') => {
    const broken = breakIt(fresh());
    expect(code(() => OrderBook.restore(broken as BookSnapshot))).toBe(expected);
  });

  it('refuses a snapshot of another shard, and takes one of its own', () => {
    expect(code(() => OrderBook.restore(fresh(), { shardId: 'shard-x' }))).toBe('BOOK_ERR_SHARD_MISMATCH');
    expect(code(() => OrderBook.restore(fresh(), { shardId: 'shard-r' }))).toBe('restored');
  });

  it('keeps the window the snapshot was taken with, whatever the options say', () => {
    const book = OrderBook.restore(fresh(), { dedupWindowMs: 5 });
    expect(book.snapshot().dedupWindowMs).toBe(1_000);
    // 1,001 is within 1,000 ms of engine time 2,000, though far outside 5 ms.
    expect(book.apply(order({ orderId: 'late', price: '10' }, 1_001))[0]?.code).toBe('ORDER_ACCEPTED');
  });

  it('throws only coded errors, whatever is changed in a snapshot', () => {
    const paths = (v: unknown, at: Array<string | number> = []): Array<Array<string | number>> =>
      typeof v !== 'object' || v === null
        ? []
        : Object.entries(v).flatMap(([k, child]) => {
            const p = [...at, Array.isArray(v) ? Number(k) : k];
            return [p, ...paths(child, p)];
          });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pick: fc.nat(),
            drop: fc.boolean(),
            value: fc.oneof(
              fc.anything({ maxDepth: 2 }),
              fc.integer({ min: -5, max: 2_200 }),
              fc.constantFrom('TEST', 'OTHER', 'b1', 'u1', { toString: 1, valueOf: 1 }),
            ),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        (changes) => {
          const s = fresh() as unknown as Json;
          for (const c of changes) {
            const all = paths(s);
            const path = all[c.pick % all.length] as Array<string | number>;
            let parent = s as Json;
            for (const k of path.slice(0, -1)) parent = parent[k] as Json;
            const last = path[path.length - 1] as string | number;
            if (c.drop) delete parent[last];
            else parent[last] = c.value;
          }
          const result = code(() => OrderBook.restore(s as unknown as BookSnapshot));
          expect(result).toMatch(/^(restored|BOOK_ERR_[A-Z_]+)$/);
          if (result === 'restored') {
            // Whatever restored is consistent: its own snapshot restores to the same state.
            const again = OrderBook.restore(s as unknown as BookSnapshot).snapshot();
            expect(OrderBook.restore(JSON.parse(JSON.stringify(again)) as BookSnapshot).snapshot()).toEqual(again);
          }
        },
      ),
      { numRuns: fc.readConfigureGlobal().numRuns ?? 500 },
    );
  });
});

describe('restore reads version-1 snapshots', () => {
  const v1 = (s: BookSnapshot): BookSnapshotV1 => {
    const { dedupWindowMs: _w, engineTime: _t, recent: _r, v: _v, ...rest } = s;
    const instruments = rest.instruments.map((i) => {
      const { maxOpenOrders: _m, maxOpenOrdersPerUser: _u, ...old } = i;
      return old;
    });
    return { ...rest, instruments, v: 1 };
  };

  it('upgrades with an empty memory and engine time 0, and continues like the original', () => {
    const original = sample();
    const upgraded = OrderBook.restore(v1(JSON.parse(JSON.stringify(original.snapshot())) as BookSnapshot));
    expect(upgraded.snapshot()).toMatchObject({ v: 2, engineTime: 0, recent: [], dedupWindowMs: 60_000 });
    const { recent: _a, engineTime: _b, dedupWindowMs: _c, ...same } = original.snapshot();
    expect(upgraded.snapshot()).toMatchObject(same);
    const next = [
      order({ orderId: 'n1', side: 'SELL', price: '98', quantity: '5', userId: 'u3' }, 2_000),
      {
        commandId: 'kx',
        code: 'CANCEL_ORDER',
        issuedAt: 2_000,
        payload: { orderId: 's1', userId: 'u2', symbol: 'TEST' },
      },
      // The per-user lists of open orders are derived on restore, from version 1 too.
      { commandId: 'ka', code: 'CANCEL_ALL_ORDERS', issuedAt: 2_000, payload: { userId: 'u3', symbol: 'TEST' } },
      { commandId: 'kb', code: 'CANCEL_ALL_ORDERS', issuedAt: 2_000, payload: { userId: 'u1', symbol: 'OTHER' } },
    ] as Command[];
    const run = (b: OrderBook) => [...next.flatMap((c) => b.apply(c)), ...b.takeDepthEvents()];
    const events = run(upgraded);
    expect(JSON.stringify(events)).toBe(JSON.stringify(run(original)));
    expect(events.filter((e) => e.commandId === 'ka' || e.commandId === 'kb').map((e) => e.code)).toEqual([
      'ORDER_CANCELED',
      'ORDER_CANCELED',
    ]);
  });

  it('takes the window for a version-1 snapshot from the options, and refuses a bad one', () => {
    const s = v1(fresh());
    expect(OrderBook.restore(s, { dedupWindowMs: 5_000 }).snapshot().dedupWindowMs).toBe(5_000);
    expect(code(() => OrderBook.restore(s, { dedupWindowMs: 0 }))).toBe('BOOK_ERR_CONFIG');
  });

  it('widens caps and the quantity range just enough to hold what version 1 allowed', () => {
    const book = new OrderBook({ shardId: 'shard-r' });
    book.apply({ commandId: 'i', code: 'INITIALIZE_ENGINE', issuedAt: 0, payload: { instruments: [TEST] } });
    book.apply({ commandId: 's', code: 'START_ENGINE', issuedAt: 0, payload: {} });
    for (let i = 0; i < 1_000; i++) book.apply(order({ orderId: `m${i}`, price: String(1 + (i % 90)) }, i));
    book.apply(order({ orderId: 'big', price: '1', quantity: '900', userId: 'u2' }, 1_000));
    book.apply(order({ orderId: 'small', price: '1', quantity: '2', userId: 'u2' }, 1_000));
    const old = v1(book.snapshot());
    // What version 1 allowed: a market maker over today's default per-user cap, and min/max changed under orders.
    const orders = old.books[0]?.orders ?? [];
    orders.push(['extra', 'u1', 0, 1, 1, 0, 1]);
    old.instruments = [{ ...TEST, minQty: '3', maxQty: '800' }];
    const restored = OrderBook.restore(old);
    expect(restored.instrument('TEST')).toMatchObject({
      maxOpenOrdersPerUser: 1_001,
      maxOpenOrders: 1_000_000,
      minQty: '1',
      maxQty: '900',
    });
    expect(restored.openOrderCount).toBe(1_003);
    // Restored, it is a state the current rules allow: it snapshots and restores again.
    expect(OrderBook.restore(restored.snapshot()).snapshot()).toEqual(restored.snapshot());
  });

  it('widens the symbol cap too when version 1 held more orders than it', () => {
    const s = v1(fresh());
    s.instruments = [{ ...TEST, maxOpenOrders: 2, maxOpenOrdersPerUser: 1 }, OTHER];
    const restored = OrderBook.restore(s);
    expect(restored.instrument('TEST')).toMatchObject({ maxOpenOrders: 3, maxOpenOrdersPerUser: 2 });
  });

  it('leaves a malformed version-1 snapshot for the checks to refuse', () => {
    const s = v1(fresh());
    expect(code(() => OrderBook.restore({ ...s, books: 'x' } as unknown as BookSnapshotV1))).toBe(
      'BOOK_ERR_SNAPSHOT_INVALID',
    );
    expect(code(() => OrderBook.restore({ ...s, instruments: 'x' } as unknown as BookSnapshotV1))).toBe(
      'BOOK_ERR_SNAPSHOT_INVALID',
    );
    expect(
      code(() =>
        OrderBook.restore({
          ...s,
          books: [{ symbol: 'TEST', orders: [['a', 5, 0, 1, 1, 0, 1]] }],
        } as unknown as BookSnapshotV1),
      ),
    ).toBe('BOOK_ERR_SNAPSHOT_INVALID');
  });
});
