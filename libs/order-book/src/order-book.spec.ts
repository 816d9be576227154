import type {
  CancelOrderPayload,
  Command,
  EngineEvent,
  InstrumentSpec,
  PlaceOrderPayload,
  StpMode,
} from '@shardex/contracts';
import { BTC, TEST } from '@shardex/contracts/testing';
import { bandLimit, createOrderBook, OrderBook } from './order-book';
import { BUY, SELL } from './price-levels';

// Hand-computed scenarios on TEST (tick 1, lot 1, 10% market band, CANCEL_NEWEST by default). Events are written
// as short lines so each expectation reads like the trade blotter it was computed from.

let n = 0;
/** issuedAt of the commands `cmd` builds; de-duplication tests move it. */
let clock = 0;
const cmd = <C extends Command>(c: Omit<C, 'commandId' | 'issuedAt'>): C =>
  ({ ...c, commandId: `c${++n}`, issuedAt: clock }) as C;
beforeEach(() => {
  clock = 0;
});

function running(instruments: InstrumentSpec[] = [TEST], shardId = 'shard-1'): OrderBook {
  const book = new OrderBook({ shardId });
  book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments } }));
  book.apply(cmd({ code: 'START_ENGINE', payload: {} }));
  return book;
}

type Place = Partial<PlaceOrderPayload> & { orderId: string };
const order = {
  userId: 'u1',
  symbol: 'TEST',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: '1',
} as const satisfies Partial<PlaceOrderPayload>;
const place = (book: OrderBook, p: Place) =>
  lines(
    book.apply(
      cmd({
        code: 'PLACE_ORDER',
        payload: { ...order, ...p },
      }),
    ),
  );
const buy = (
  book: OrderBook,
  orderId: string,
  price: string,
  quantity: string,
  extra: Partial<PlaceOrderPayload> = {},
) => place(book, { orderId, side: 'BUY', price, quantity, ...extra });
const sell = (
  book: OrderBook,
  orderId: string,
  price: string,
  quantity: string,
  extra: Partial<PlaceOrderPayload> = {},
) => place(book, { orderId, side: 'SELL', price, quantity, ...extra });
const cancel = (book: OrderBook, orderId: string, userId = 'u1', symbol = 'TEST') =>
  lines(book.apply(cmd({ code: 'CANCEL_ORDER', payload: { orderId, userId, symbol } })));
const cancelAll = (book: OrderBook, userId = 'u1', symbol = 'TEST') =>
  lines(book.apply(cmd({ code: 'CANCEL_ALL_ORDERS', payload: { userId, symbol } })));

function line(e: EngineEvent): string {
  switch (e.code) {
    case 'ORDER_ACCEPTED':
      return `ACCEPTED ${e.payload.orderId}`;
    case 'ORDER_REJECTED':
      return `REJECTED ${e.payload.orderId ?? '-'} ${e.payload.reason}${e.payload.detail ? ` ${e.payload.detail}` : ''}`;
    case 'TRADE':
      return `TRADE ${e.payload.quantity}@${e.payload.price} ${e.payload.takerOrderId}<-${e.payload.makerOrderId}`;
    case 'ORDER_UPDATED':
      return `UPDATED ${e.payload.orderId} filled=${e.payload.filledQuantity} left=${e.payload.remainingQuantity}`;
    case 'ORDER_FILLED':
      return `FILLED ${e.payload.orderId} ${e.payload.filledQuantity}`;
    case 'ORDER_CANCELED':
      return `CANCELED ${e.payload.orderId} filled=${e.payload.filledQuantity} canceled=${e.payload.canceledQuantity} ${e.payload.reason}`;
    case 'ORDER_EXPIRED':
      return `EXPIRED ${e.payload.orderId} filled=${e.payload.filledQuantity} expired=${e.payload.expiredQuantity} ${e.payload.reason}`;
    case 'ENGINE_STATE':
      return `STATE ${e.payload.previous}->${e.payload.state}`;
    case 'DEPTH':
      return `DEPTH ${e.payload.symbol} bids=${JSON.stringify(e.payload.bids)} asks=${JSON.stringify(e.payload.asks)}`;
  }
}
const lines = (events: EngineEvent[]) => events.map(line);

const depth = (book: OrderBook) => {
  const d = book.depth('TEST', 20);
  return { bids: d?.bids.map(([p, q]) => `${q}@${p}`), asks: d?.asks.map(([p, q]) => `${q}@${p}`) };
};

describe('limit orders: price-time priority', () => {
  it('rests non-crossing orders, best price first', () => {
    const book = running();
    expect(buy(book, 'b1', '99', '1')).toEqual(['ACCEPTED b1']);
    buy(book, 'b2', '98', '2');
    buy(book, 'b3', '99', '3');
    sell(book, 's1', '101', '4');
    sell(book, 's2', '102', '5');
    expect(depth(book)).toEqual({ bids: ['4@99', '2@98'], asks: ['4@101', '5@102'] });
  });

  it('fills FIFO within a level and walks levels, at the makers’ prices', () => {
    const book = running();
    sell(book, 'a', '100', '2');
    sell(book, 'b', '100', '3');
    sell(book, 'c', '101', '5');
    expect(buy(book, 'd', '101', '6', { userId: 'u2' })).toEqual([
      'ACCEPTED d',
      'TRADE 2@100 d<-a',
      'FILLED a 2',
      'TRADE 3@100 d<-b',
      'FILLED b 3',
      'TRADE 1@101 d<-c',
      'UPDATED c filled=1 left=4',
      'FILLED d 6',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: ['4@101'] });
  });

  it('rests the unfilled part of a crossing GTC order at its limit', () => {
    const book = running();
    sell(book, 'a', '100', '4');
    expect(buy(book, 'e', '102', '10', { userId: 'u2' })).toEqual([
      'ACCEPTED e',
      'TRADE 4@100 e<-a',
      'FILLED a 4',
      'UPDATED e filled=4 left=6',
    ]);
    expect(depth(book)).toEqual({ bids: ['6@102'], asks: [] });
  });

  it('gives the resting order price improvement to the taker', () => {
    const book = running();
    buy(book, 'a', '100', '1');
    expect(sell(book, 's', '90', '1', { userId: 'u2' })).toEqual([
      'ACCEPTED s',
      'TRADE 1@100 s<-a',
      'FILLED a 1',
      'FILLED s 1',
    ]);
  });

  it('keeps time priority after a partial fill of the head order', () => {
    const book = running();
    sell(book, 'a', '100', '5');
    sell(book, 'b', '100', '5');
    buy(book, 'x', '100', '2', { userId: 'u2' });
    expect(buy(book, 'y', '100', '4', { userId: 'u2' })).toEqual([
      'ACCEPTED y',
      'TRADE 3@100 y<-a',
      'FILLED a 5',
      'TRADE 1@100 y<-b',
      'UPDATED b filled=1 left=4',
      'FILLED y 4',
    ]);
  });
});

describe('time in force', () => {
  it('IOC: trades what it can and expires the rest', () => {
    const book = running();
    sell(book, 'a', '100', '2');
    expect(buy(book, 'i', '101', '5', { timeInForce: 'IOC', userId: 'u2' })).toEqual([
      'ACCEPTED i',
      'TRADE 2@100 i<-a',
      'FILLED a 2',
      'EXPIRED i filled=2 expired=3 IOC',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: [] });
  });

  it('IOC that crosses nothing expires whole and leaves the book alone', () => {
    const book = running();
    sell(book, 'a', '100', '2');
    expect(buy(book, 'i', '99', '5', { timeInForce: 'IOC' })).toEqual([
      'ACCEPTED i',
      'EXPIRED i filled=0 expired=5 IOC',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: ['2@100'] });
  });

  it('FOK: all or nothing', () => {
    const book = running();
    sell(book, 'a', '100', '2');
    sell(book, 'b', '101', '2');
    expect(buy(book, 'f1', '101', '5', { timeInForce: 'FOK', userId: 'u2' })).toEqual([
      'ACCEPTED f1',
      'EXPIRED f1 filled=0 expired=5 FOK',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: ['2@100', '2@101'] });
    expect(buy(book, 'f2', '100', '3', { timeInForce: 'FOK', userId: 'u2' })).toEqual([
      'ACCEPTED f2',
      'EXPIRED f2 filled=0 expired=3 FOK',
    ]);
    expect(buy(book, 'f3', '101', '4', { timeInForce: 'FOK', userId: 'u2' })).toEqual([
      'ACCEPTED f3',
      'TRADE 2@100 f3<-a',
      'FILLED a 2',
      'TRADE 2@101 f3<-b',
      'FILLED b 2',
      'FILLED f3 4',
    ]);
  });

  it('FOK does not count liquidity self-trade prevention would refuse', () => {
    const book = running();
    sell(book, 'own', '100', '5', { userId: 'u1' });
    sell(book, 'other', '100', '2', { userId: 'u2' });
    // CANCEL_NEWEST would stop at `own`: not fillable, and nothing may change.
    expect(buy(book, 'f', '100', '2', { timeInForce: 'FOK', userId: 'u1' })).toEqual([
      'ACCEPTED f',
      'EXPIRED f filled=0 expired=2 FOK',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: ['7@100'] });
    // CANCEL_OLDEST skips own orders: 2 lots from `other` are enough.
    expect(
      buy(book, 'g', '100', '2', { timeInForce: 'FOK', userId: 'u1', selfTradePrevention: 'CANCEL_OLDEST' }),
    ).toEqual([
      'ACCEPTED g',
      'CANCELED own filled=0 canceled=5 SELF_TRADE_PREVENTION',
      'TRADE 2@100 g<-other',
      'FILLED other 2',
      'FILLED g 2',
    ]);
  });
});

describe('post-only', () => {
  it('is rejected when it would take, rests when it would not', () => {
    const book = running();
    sell(book, 'a', '100', '1');
    expect(buy(book, 'p1', '100', '1', { postOnly: true })).toEqual(['REJECTED p1 POST_ONLY_WOULD_TAKE']);
    expect(buy(book, 'p2', '99', '1', { postOnly: true })).toEqual(['ACCEPTED p2']);
    expect(depth(book)).toEqual({ bids: ['1@99'], asks: ['1@100'] });
  });

  it('must be GTC', () => {
    const book = running();
    expect(buy(book, 'p', '99', '1', { postOnly: true, timeInForce: 'IOC' })).toEqual(['REJECTED p INVALID_ORDER']);
  });
});

describe('market orders and the price band', () => {
  it('trades within the band and expires the rest', () => {
    const book = running();
    sell(book, 'a', '100', '1');
    sell(book, 'b', '105', '1');
    sell(book, 'c', '111', '1'); // band: 100 × 1.10 = 110
    expect(
      place(book, { orderId: 'm', side: 'BUY', type: 'MARKET', timeInForce: 'IOC', quantity: '3', userId: 'u2' }),
    ).toEqual([
      'ACCEPTED m',
      'TRADE 1@100 m<-a',
      'FILLED a 1',
      'TRADE 1@105 m<-b',
      'FILLED b 1',
      'EXPIRED m filled=2 expired=1 PRICE_BAND',
    ]);
    expect(depth(book).asks).toEqual(['1@111']);
  });

  it('expires with NO_LIQUIDITY on an empty side, or when the book runs dry', () => {
    const book = running();
    expect(place(book, { orderId: 'm1', side: 'SELL', type: 'MARKET', timeInForce: 'IOC', quantity: '1' })).toEqual([
      'ACCEPTED m1',
      'EXPIRED m1 filled=0 expired=1 NO_LIQUIDITY',
    ]);
    buy(book, 'a', '100', '1');
    expect(
      place(book, { orderId: 'm2', side: 'SELL', type: 'MARKET', timeInForce: 'IOC', quantity: '3', userId: 'u2' }),
    ).toEqual(['ACCEPTED m2', 'TRADE 1@100 m2<-a', 'FILLED a 1', 'EXPIRED m2 filled=1 expired=2 NO_LIQUIDITY']);
  });

  it('market FOK fills only if the band holds enough', () => {
    const book = running();
    buy(book, 'a', '100', '1');
    buy(book, 'b', '89', '5'); // sell band: 100 × 0.90 = 90
    expect(
      place(book, { orderId: 'm', side: 'SELL', type: 'MARKET', timeInForce: 'FOK', quantity: '2', userId: 'u2' }),
    ).toEqual(['ACCEPTED m', 'EXPIRED m filled=0 expired=2 FOK']);
  });

  it('refuses a price, GTC or post-only on a market order', () => {
    const book = running();
    expect(place(book, { orderId: 'm1', type: 'MARKET', timeInForce: 'IOC', price: '100' })).toEqual([
      'REJECTED m1 INVALID_ORDER',
    ]);
    expect(place(book, { orderId: 'm2', type: 'MARKET', timeInForce: 'GTC' })).toEqual(['REJECTED m2 INVALID_ORDER']);
  });

  it('computes band limits toward the best price, in integers', () => {
    expect(bandLimit(BUY, 100, 1000)).toBe(110);
    expect(bandLimit(BUY, 101, 500)).toBe(106); // 106.05 floored
    expect(bandLimit(SELL, 101, 500)).toBe(96); // 95.95 ceiled
    expect(bandLimit(SELL, 5, 20_000)).toBe(1);
    expect(bandLimit(BUY, 2 ** 50, 500)).toBe(Number((2n ** 50n * 10_500n) / 10_000n));
  });
});

describe('self-trade prevention', () => {
  const stp = (mode: StpMode) => ({ selfTradePrevention: mode });

  it('CANCEL_NEWEST cancels the incoming order, after trading with others ahead of the own order', () => {
    const book = running();
    sell(book, 'x', '100', '1', { userId: 'u2' });
    sell(book, 'a', '100', '2', { userId: 'u1' });
    expect(buy(book, 'b', '100', '3', { userId: 'u1', ...stp('CANCEL_NEWEST') })).toEqual([
      'ACCEPTED b',
      'TRADE 1@100 b<-x',
      'FILLED x 1',
      'CANCELED b filled=1 canceled=2 SELF_TRADE_PREVENTION',
    ]);
    expect(depth(book).asks).toEqual(['2@100']);
  });

  it('CANCEL_OLDEST cancels the resting order and goes on matching', () => {
    const book = running();
    sell(book, 'a', '100', '2', { userId: 'u1' });
    sell(book, 'c', '100', '2', { userId: 'u2' });
    expect(buy(book, 'b', '100', '3', { userId: 'u1', ...stp('CANCEL_OLDEST') })).toEqual([
      'ACCEPTED b',
      'CANCELED a filled=0 canceled=2 SELF_TRADE_PREVENTION',
      'TRADE 2@100 b<-c',
      'FILLED c 2',
      'UPDATED b filled=2 left=1',
    ]);
    expect(depth(book)).toEqual({ bids: ['1@100'], asks: [] });
  });

  it('CANCEL_BOTH cancels both', () => {
    const book = running();
    sell(book, 'a', '100', '2', { userId: 'u1' });
    expect(buy(book, 'b', '100', '1', { userId: 'u1', ...stp('CANCEL_BOTH') })).toEqual([
      'ACCEPTED b',
      'CANCELED a filled=0 canceled=2 SELF_TRADE_PREVENTION',
      'CANCELED b filled=0 canceled=1 SELF_TRADE_PREVENTION',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: [] });
  });

  it('NONE lets a user trade with itself', () => {
    const book = running();
    sell(book, 'a', '100', '1', { userId: 'u1' });
    expect(buy(book, 'b', '100', '1', { userId: 'u1', ...stp('NONE') })).toEqual([
      'ACCEPTED b',
      'TRADE 1@100 b<-a',
      'FILLED a 1',
      'FILLED b 1',
    ]);
  });

  it('uses the instrument default when the order sets none', () => {
    const book = running([{ ...TEST, selfTradePrevention: 'CANCEL_OLDEST' }]);
    sell(book, 'a', '100', '2', { userId: 'u1' });
    expect(buy(book, 'b', '100', '1', { userId: 'u1' })).toEqual([
      'ACCEPTED b',
      'CANCELED a filled=0 canceled=2 SELF_TRADE_PREVENTION',
    ]);
    expect(depth(book)).toEqual({ bids: ['1@100'], asks: [] });
  });
});

describe('cancel', () => {
  it('cancels a partially filled order, reporting filled and canceled quantities', () => {
    const book = running();
    sell(book, 'a', '100', '5');
    buy(book, 'b', '100', '2', { userId: 'u2' });
    expect(cancel(book, 'a')).toEqual(['CANCELED a filled=2 canceled=3 USER']);
    expect(depth(book)).toEqual({ bids: [], asks: [] });
    expect(book.openOrderCount).toBe(0);
  });

  it('refuses unknown, already closed, foreign and wrong-symbol cancels', () => {
    const book = running([TEST, { ...TEST, symbol: 'OTHER' }]);
    sell(book, 'a', '100', '5');
    expect(cancel(book, 'nope')).toEqual(['REJECTED nope ORDER_NOT_FOUND']);
    expect(cancel(book, 'a', 'u2')).toEqual(['REJECTED a NOT_ORDER_OWNER']);
    expect(cancel(book, 'a', 'u1', 'OTHER')).toEqual(['REJECTED a ORDER_NOT_FOUND']);
    expect(cancel(book, 'a')).toEqual(['CANCELED a filled=0 canceled=5 USER']);
    expect(cancel(book, 'a')).toEqual(['REJECTED a ORDER_NOT_FOUND']);
  });

  it('removes the level when its last order goes, and keeps FIFO for the rest', () => {
    const book = running();
    sell(book, 'a', '100', '1');
    sell(book, 'b', '100', '1');
    sell(book, 'c', '100', '1');
    cancel(book, 'b');
    expect(buy(book, 'x', '100', '2', { userId: 'u2' })).toEqual([
      'ACCEPTED x',
      'TRADE 1@100 x<-a',
      'FILLED a 1',
      'TRADE 1@100 x<-c',
      'FILLED c 1',
      'FILLED x 2',
    ]);
    expect(depth(book)).toEqual({ bids: [], asks: [] });
  });
});

describe('cancel all of a user’s orders on a symbol', () => {
  /**
   * u1's orders on TEST arriving in an order unlike their priority, u2's between them, one of u1's partly filled,
   * and one of u1's on OTHER.
   */
  function mixed(): OrderBook {
    const book = running([TEST, { ...TEST, symbol: 'OTHER' }]);
    sell(book, 's1', '102', '1');
    buy(book, 'b1', '98', '1');
    sell(book, 's2', '101', '3');
    buy(book, 'b2', '99', '2');
    buy(book, 'x', '99', '1', { userId: 'u2' });
    buy(book, 'b3', '99', '1');
    expect(buy(book, 't', '101', '1', { userId: 'u2' })).toContain('UPDATED s2 filled=1 left=2');
    sell(book, 'y', '101', '1', { userId: 'u2' });
    place(book, { orderId: 'o1', symbol: 'OTHER', price: '50' });
    book.takeDepthEvents();
    return book;
  }
  const all = (userId = 'u1', symbol = 'TEST') =>
    cmd<Command>({ code: 'CANCEL_ALL_ORDERS', payload: { userId, symbol } });

  it('cancels every open order of the user on the symbol in book priority, and nothing else', () => {
    const book = mixed();
    const c = all();
    const events = book.apply(c);
    // Bids best price first, FIFO within a price (b2 before b3), then asks best price first.
    expect(lines(events)).toEqual([
      'CANCELED b2 filled=0 canceled=2 USER',
      'CANCELED b3 filled=0 canceled=1 USER',
      'CANCELED b1 filled=0 canceled=1 USER',
      'CANCELED s2 filled=1 canceled=2 USER',
      'CANCELED s1 filled=0 canceled=1 USER',
    ]);
    const first = (events[0] as EngineEvent).seq;
    expect(events.map((e) => [e.seq, e.commandId])).toEqual(events.map((_, i) => [first + i, c.commandId]));
    expect(depth(book)).toEqual({ bids: ['1@99'], asks: ['1@101'] });
    expect(book.openOrderCount).toBe(3);
    // One DEPTH for the changed book, as after a single cancel; OTHER did not change.
    expect(lines(book.takeDepthEvents(5))).toEqual(['DEPTH TEST bids=[["99","1"]] asks=[["101","1"]]']);
    expect(cancelAll(book, 'u1', 'OTHER')).toEqual(['CANCELED o1 filled=0 canceled=1 USER']);
  });

  it('cancels in the same order in a book restored from a snapshot (its arrival order is not in the snapshot)', () => {
    const a = mixed();
    const b = OrderBook.restore(JSON.parse(JSON.stringify(a.snapshot())));
    const c = all();
    expect(b.apply(c)).toEqual(a.apply(c));
    expect(b.takeDepthEvents()).toEqual(a.takeDepthEvents());
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('answers ORDER_NOT_FOUND when the user has no open order there, changing nothing but remembering the command', () => {
    const book = mixed();
    const none = all('u3');
    const seq = book.lastSeq + 1;
    expect(book.apply(none)).toEqual([
      {
        shardId: 'shard-1',
        seq,
        code: 'ORDER_REJECTED',
        commandId: none.commandId,
        payload: { userId: 'u3', symbol: 'TEST', reason: 'ORDER_NOT_FOUND', message: 'u3 has no open order on TEST' },
      },
    ]);
    expect(book.takeDepthEvents()).toEqual([]);
    expect(book.snapshot().recent.at(-1)).toEqual([none.issuedAt, none.commandId]);
    expect(lines(book.apply(none))).toEqual(['REJECTED - DUPLICATE_COMMAND']);
    expect(cancelAll(book)).toHaveLength(5);
    expect(cancelAll(book)).toEqual(['REJECTED - ORDER_NOT_FOUND']);
  });

  it('applies a command id once: a repeat cancels nothing, not even orders placed since', () => {
    const book = mixed();
    const c = all();
    expect(book.apply(c)).toHaveLength(5);
    buy(book, 'b4', '97', '1');
    expect(lines(book.apply(c))).toEqual(['REJECTED - DUPLICATE_COMMAND']);
    expect(depth(book)).toEqual({ bids: ['1@99', '1@97'], asks: ['1@101'] });
  });

  it('refuses an unknown symbol, a shard that is not running and a stale command', () => {
    const book = running();
    buy(book, 'a', '99', '1');
    expect(cancelAll(book, 'u1', 'NOPE')).toEqual(['REJECTED - UNKNOWN_SYMBOL']);
    book.apply(cmd({ code: 'STOP_ENGINE', payload: {} }));
    const recent = book.snapshot().recent;
    expect(cancelAll(book)).toEqual(['REJECTED - ENGINE_NOT_RUNNING']);
    expect(book.snapshot().recent).toEqual(recent); // not remembered: it may be sent again once running

    const small = new OrderBook({ shardId: 's', dedupWindowMs: 10 });
    small.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    small.apply(cmd({ code: 'START_ENGINE', payload: {} }));
    small.apply({
      commandId: 'p',
      code: 'PLACE_ORDER',
      issuedAt: 100,
      payload: { ...order, orderId: 'a', price: '1' },
    });
    const stale = {
      commandId: 'ca',
      code: 'CANCEL_ALL_ORDERS',
      issuedAt: 89,
      payload: { userId: 'u1', symbol: 'TEST' },
    };
    expect(lines(small.apply(stale as Command))).toEqual(['REJECTED - STALE_COMMAND']);
    expect(lines(small.apply({ ...stale, issuedAt: 90 } as Command))).toEqual(['CANCELED a filled=0 canceled=1 USER']);
  });

  it('frees the user’s open-order slots, in the live book and in its snapshot', () => {
    const book = running([{ ...TEST, maxOpenOrdersPerUser: 2 }]);
    buy(book, 'a', '90', '1');
    sell(book, 'b', '110', '1');
    expect(buy(book, 'c', '91', '1')).toEqual(['REJECTED c MAX_OPEN_ORDERS_PER_USER']);
    expect(cancelAll(book)).toHaveLength(2);
    expect(book.openOrderCount).toBe(0);
    expect(buy(book, 'c', '91', '1')).toEqual(['ACCEPTED c']);
    expect(buy(book, 'd', '92', '1')).toEqual(['ACCEPTED d']);
    const restored = OrderBook.restore(JSON.parse(JSON.stringify(book.snapshot())));
    expect(cancelAll(restored)).toEqual(['CANCELED d filled=0 canceled=1 USER', 'CANCELED c filled=0 canceled=1 USER']);
    expect(buy(restored, 'e', '93', '1')).toEqual(['ACCEPTED e']);
  });

  it('cancels a user’s 1,000 orders among another user’s, exactly those, in the order a snapshot lists them', () => {
    const book = running();
    let r = 7;
    const next = () => (r = (r * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 2000; i++) {
      const side = next() % 2 === 0 ? 'BUY' : 'SELL';
      const price = String(side === 'BUY' ? 1 + (next() % 49) : 51 + (next() % 49));
      const userId = i % 2 === 0 ? 'u1' : 'u2';
      expect(place(book, { orderId: `o${i}`, userId, side, price })).toEqual([`ACCEPTED o${i}`]);
    }
    const listed = book.snapshot().books[0]?.orders ?? [];
    const mine = listed.filter((o) => o[1] === 'u1').map((o) => `CANCELED ${o[0]} filled=0 canceled=1 USER`);
    expect(mine).toHaveLength(1000);
    expect(cancelAll(book)).toEqual(mine);
    expect(book.snapshot().books[0]?.orders).toEqual(listed.filter((o) => o[1] === 'u2'));
  });

  it('rejects junk payloads without throwing', () => {
    const book = running();
    buy(book, 'a', '99', '1');
    const bad = { toString: 1, valueOf: 1 };
    const apply = (payload: unknown) =>
      book.apply({ commandId: `j${++n}`, code: 'CANCEL_ALL_ORDERS', issuedAt: 0, payload } as Command);
    expect(lines(apply(null))).toEqual(['REJECTED - UNKNOWN_SYMBOL']);
    expect(lines(apply('x'))).toEqual(['REJECTED - UNKNOWN_SYMBOL']);
    expect(lines(apply({ userId: 'u1', symbol: bad }))).toEqual(['REJECTED - UNKNOWN_SYMBOL']);
    const [e] = apply({ userId: bad, symbol: 'TEST' });
    expect(e?.payload).toStrictEqual({
      symbol: 'TEST',
      reason: 'ORDER_NOT_FOUND',
      message: 'object has no open order on TEST',
    });
    expect(depth(book)).toEqual({ bids: ['1@99'], asks: [] });
  });
});

describe('validation', () => {
  it.each<[string, Place, string]>([
    ['an unknown symbol', { orderId: 'o', symbol: 'NOPE', price: '1' }, 'REJECTED o UNKNOWN_SYMBOL'],
    ['a limit without price', { orderId: 'o' }, 'REJECTED o INVALID_ORDER'],
    [
      'a float price',
      { orderId: 'o', price: 100.5 as unknown as string },
      'REJECTED o INVALID_PRICE MONEY_ERR_NOT_STRING',
    ],
    ['an exponent', { orderId: 'o', price: '1e2' }, 'REJECTED o INVALID_PRICE MONEY_ERR_EXPONENT'],
    ['a negative price', { orderId: 'o', price: '-1' }, 'REJECTED o INVALID_PRICE MONEY_ERR_NEGATIVE'],
    ['a zero quantity', { orderId: 'o', price: '1', quantity: '0' }, 'REJECTED o INVALID_QUANTITY MONEY_ERR_ZERO'],
    [
      'a fractional quantity on a lot of 1',
      { orderId: 'o', price: '1', quantity: '1.5' },
      'REJECTED o INVALID_QUANTITY MONEY_ERR_SCALE',
    ],
    [
      'too large a quantity',
      { orderId: 'o', price: '1', quantity: '1000001' },
      'REJECTED o INVALID_QUANTITY MONEY_ERR_MAX_QTY',
    ],
    ['a bad side', { orderId: 'o', price: '1', side: 'HOLD' as 'BUY' }, 'REJECTED o INVALID_ORDER'],
    ['a bad STP mode', { orderId: 'o', price: '1', selfTradePrevention: 'X' as StpMode }, 'REJECTED o INVALID_ORDER'],
  ])('rejects %s with its code', (_why, p, expected) => {
    expect(place(running(), p)).toEqual([expected]);
  });

  it('rejects off-tick and off-lot amounts on a decimal instrument', () => {
    const book = running([BTC]);
    expect(place(book, { orderId: 'o', symbol: 'BTC-USDT', price: '65000.005', quantity: '1' })).toEqual([
      'REJECTED o INVALID_PRICE MONEY_ERR_OFF_TICK',
    ]);
    expect(place(book, { orderId: 'o', symbol: 'BTC-USDT', price: '65000.01', quantity: '0.000015' })).toEqual([
      'REJECTED o INVALID_QUANTITY MONEY_ERR_OFF_LOT',
    ]);
    expect(place(book, { orderId: 'o', symbol: 'BTC-USDT', price: '65000.01', quantity: '0.5' })).toEqual([
      'ACCEPTED o',
    ]);
    expect(book.depth('BTC-USDT')).toEqual({
      symbol: 'BTC-USDT',
      bids: [['65000.01000000', '0.500000000000000000']],
      asks: [],
    });
  });

  it('rejects the id of an open order, and of a closed one until the de-duplication window has passed', () => {
    const book = running();
    buy(book, 'o', '99', '1');
    expect(buy(book, 'o', '98', '1')).toEqual(['REJECTED o DUPLICATE_ORDER_ID']);
    cancel(book, 'o');
    clock = 60_000;
    expect(buy(book, 'o', '98', '1')).toEqual(['REJECTED o DUPLICATE_ORDER_ID']);
    clock = 60_001;
    expect(buy(book, 'o', '98', '1')).toEqual(['ACCEPTED o']);
  });

  it('reports undecodable input that names an order as a rejection with a sequence number', () => {
    const book = running();
    const [e] = book.rejectUndecodable(
      { orderId: 'z', symbol: 'TEST', commandId: 'k' },
      'CODEC_ERR_SCHEMA',
      'bad payload',
    );
    expect(e).toMatchObject({
      seq: 3,
      commandId: 'k',
      code: 'ORDER_REJECTED',
      payload: { reason: 'MALFORMED_COMMAND', detail: 'CODEC_ERR_SCHEMA' },
    });
  });
});

describe('lifecycle', () => {
  it('moves NEW → INITIALIZED → RUNNING → STOPPED, refusing orders unless RUNNING', () => {
    const book = new OrderBook({ shardId: 'shard-9' });
    const apply = (c: Omit<Command, 'commandId' | 'issuedAt'>, id = `l${++n}`) =>
      lines(book.apply({ ...c, commandId: id, issuedAt: 0 } as Command));
    expect(
      apply({
        code: 'PLACE_ORDER',
        payload: {
          orderId: 'o',
          userId: 'u',
          symbol: 'TEST',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          price: '1',
          quantity: '1',
        },
      }),
    ).toEqual(['REJECTED o ENGINE_NOT_RUNNING']);
    expect(apply({ code: 'START_ENGINE', payload: {} })).toEqual(['REJECTED - INVALID_STATE']);
    expect(apply({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }, 'init-1')).toEqual([
      'STATE NEW->INITIALIZED',
    ]);
    expect(apply({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }, 'init-1')).toEqual([
      'STATE INITIALIZED->INITIALIZED',
    ]);
    expect(apply({ code: 'START_ENGINE', payload: {} }, 'start-1')).toEqual(['STATE INITIALIZED->RUNNING']);
    expect(apply({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } })).toEqual([
      'REJECTED - INVALID_STATE',
    ]);
    expect(apply({ code: 'START_ENGINE', payload: {} }, 'start-1')).toEqual(['STATE RUNNING->RUNNING']);
    expect(apply({ code: 'STOP_ENGINE', payload: {} })).toEqual(['STATE RUNNING->STOPPED']);
    expect(book.engineState).toBe('STOPPED');
  });

  it('refuses an invalid instrument list without changing anything', () => {
    const book = new OrderBook({ shardId: 's' });
    const events = book.apply({
      commandId: 'i',
      code: 'INITIALIZE_ENGINE',
      issuedAt: 0,
      payload: { instruments: [TEST, { ...TEST, tickSize: '0' }] },
    });
    expect(lines(events)).toEqual(['REJECTED - INVALID_INSTRUMENTS']);
    expect(book.symbols()).toEqual([]);
    expect(book.engineState).toBe('NEW');
  });

  it('will not change the grid of a symbol with open orders', () => {
    const book = running();
    buy(book, 'o', '99', '1');
    book.apply(cmd({ code: 'STOP_ENGINE', payload: {} }));
    expect(
      lines(book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [{ ...TEST, tickSize: '2' }] } }))),
    ).toEqual(['REJECTED - INVALID_INSTRUMENTS']);
    expect(
      lines(book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [{ ...TEST, maxQty: '5' }] } }))),
    ).toEqual(['STATE STOPPED->INITIALIZED']);
  });
});

describe('events', () => {
  it('carry the shard id, the command id and a gap-free sequence; trade ids come from it', () => {
    const book = running();
    sell(book, 'a', '100', '1');
    const events = book.apply({
      commandId: 'cmd-42',
      code: 'PLACE_ORDER',
      issuedAt: 0,
      payload: {
        orderId: 'b',
        userId: 'u2',
        symbol: 'TEST',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        price: '100',
        quantity: '1',
      },
    });
    expect(events.map((e) => [e.shardId, e.seq, e.commandId])).toEqual([
      ['shard-1', 4, 'cmd-42'],
      ['shard-1', 5, 'cmd-42'],
      ['shard-1', 6, 'cmd-42'],
      ['shard-1', 7, 'cmd-42'],
    ]);
    expect(events[1]).toMatchObject({ code: 'TRADE', payload: { tradeId: 'shard-1-5' } });
  });

  it('emits DEPTH only for books that changed, once each', () => {
    const book = running([TEST, { ...TEST, symbol: 'OTHER' }]);
    buy(book, 'a', '99', '1');
    buy(book, 'b', '98', '2');
    expect(lines(book.takeDepthEvents(5))).toEqual(['DEPTH TEST bids=[["99","1"],["98","2"]] asks=[]']);
    expect(book.takeDepthEvents(5)).toEqual([]);
    cancel(book, 'a');
    expect(lines(book.takeDepthEvents(1))).toEqual(['DEPTH TEST bids=[["98","2"]] asks=[]']);
  });
});

describe('snapshots', () => {
  it('restores to a book that continues exactly like the original', () => {
    const a = running();
    sell(a, 's1', '100', '5');
    sell(a, 's2', '100', '3');
    sell(a, 's3', '101', '2', { userId: 'u3' });
    buy(a, 'b1', '99', '4', { userId: 'u2' });
    buy(a, 'p', '100', '2', { userId: 'u2' });
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    const b = OrderBook.restore(snap);
    // The same commands (same ids) for both books.
    const z = cmd<Command>({
      code: 'PLACE_ORDER',
      payload: { ...order, orderId: 'z', userId: 'u2', price: '101', quantity: '9' },
    });
    const x = cmd<Command>({ code: 'CANCEL_ORDER', payload: { orderId: 'b1', userId: 'u2', symbol: 'TEST' } });
    const next = (book: OrderBook) => [
      ...lines(book.apply(z)),
      ...lines(book.apply(x)),
      ...lines(book.takeDepthEvents()),
    ];
    expect(next(b)).toEqual(next(a));
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('refuses other versions and other shards', () => {
    const snap = running().snapshot();
    expect(() => OrderBook.restore({ ...snap, v: 3 as 2 })).toThrow(
      expect.objectContaining({ code: 'BOOK_ERR_SNAPSHOT_VERSION' }),
    );
    expect(() => OrderBook.restore(snap, { shardId: 'shard-2' })).toThrow(
      expect.objectContaining({ code: 'BOOK_ERR_SHARD_MISMATCH' }),
    );
    expect(() => OrderBook.restore({ ...snap, books: [{ symbol: 'NOPE', orders: [] }] })).toThrow(
      expect.objectContaining({ code: 'BOOK_ERR_SNAPSHOT_INVALID' }),
    );
  });
});

describe('de-duplication of order commands', () => {
  const placeAt = (book: OrderBook, commandId: string, issuedAt: number, p: Place) =>
    lines(book.apply({ commandId, code: 'PLACE_ORDER', issuedAt, payload: { ...order, price: '100', ...p } }));
  const cancelAt = (book: OrderBook, commandId: string, issuedAt: number, orderId: string, userId = 'u1') =>
    lines(book.apply({ commandId, code: 'CANCEL_ORDER', issuedAt, payload: { orderId, userId, symbol: 'TEST' } }));
  const small = (windowMs: number) => {
    const book = new OrderBook({ shardId: 'shard-d', dedupWindowMs: windowMs });
    book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    book.apply(cmd({ code: 'START_ENGINE', payload: {} }));
    return book;
  };

  it('applies a command id once: a repeat is rejected, names the order and changes nothing', () => {
    const book = running();
    expect(placeAt(book, 'k1', 1000, { orderId: 'a', quantity: '5' })).toEqual(['ACCEPTED a']);
    const again = book.apply({
      commandId: 'k1',
      code: 'PLACE_ORDER',
      issuedAt: 1000,
      payload: { ...order, orderId: 'a', price: '100', quantity: '5' },
    });
    expect(again).toEqual([
      {
        shardId: 'shard-1',
        seq: 4,
        code: 'ORDER_REJECTED',
        commandId: 'k1',
        payload: {
          orderId: 'a',
          userId: 'u1',
          symbol: 'TEST',
          reason: 'DUPLICATE_COMMAND',
          message: 'command k1 was already applied',
        },
      },
    ]);
    expect(placeAt(book, 'k1', 1001, { orderId: 'b', side: 'SELL', userId: 'u2' })).toEqual([
      'REJECTED b DUPLICATE_COMMAND',
    ]);
    expect(cancelAt(book, 'k1', 1001, 'a')).toEqual(['REJECTED a DUPLICATE_COMMAND']);
    expect(depth(book)).toEqual({ bids: ['5@100'], asks: [] });
  });

  it('remembers a command whatever its outcome, cancels included', () => {
    const book = running();
    expect(placeAt(book, 'k1', 5, { orderId: 'a', price: '1e2' })).toEqual([
      'REJECTED a INVALID_PRICE MONEY_ERR_EXPONENT',
    ]);
    expect(placeAt(book, 'k1', 5, { orderId: 'a' })).toEqual(['REJECTED a DUPLICATE_COMMAND']);
    expect(cancelAt(book, 'x1', 5, 'nope')).toEqual(['REJECTED nope ORDER_NOT_FOUND']);
    expect(cancelAt(book, 'x1', 5, 'nope')).toEqual(['REJECTED nope DUPLICATE_COMMAND']);
    expect(book.snapshot().recent).toEqual([
      [5, 'k1'],
      [5, 'x1'],
    ]);
  });

  it('does not remember commands refused because the engine was not running', () => {
    const book = new OrderBook({ shardId: 's' });
    book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    expect(placeAt(book, 'k1', 5, { orderId: 'a' })).toEqual(['REJECTED a ENGINE_NOT_RUNNING']);
    expect(cancelAt(book, 'x1', 5, 'a')).toEqual(['REJECTED a ENGINE_NOT_RUNNING']);
    book.apply(cmd({ code: 'START_ENGINE', payload: {} }));
    expect(placeAt(book, 'k1', 5, { orderId: 'a' })).toEqual(['ACCEPTED a']);
    expect(book.snapshot()).toMatchObject({ engineTime: 5, recent: [[5, 'k1', 'a']] });
  });

  it('rejects a command more than the window behind engine time as stale, and does not remember it', () => {
    const book = small(100);
    placeAt(book, 'k1', 1000, { orderId: 'a' });
    expect(placeAt(book, 'k2', 900, { orderId: 'b' })).toEqual(['ACCEPTED b']);
    expect(placeAt(book, 'k3', 899, { orderId: 'c' })).toEqual(['REJECTED c STALE_COMMAND']);
    expect(cancelAt(book, 'k4', 899, 'a')).toEqual(['REJECTED a STALE_COMMAND']);
    const [e] = book.apply({
      commandId: 'k3',
      code: 'CANCEL_ORDER',
      issuedAt: 0,
      payload: { orderId: 'a', userId: 'u1', symbol: 'TEST' },
    });
    expect(e?.payload).toMatchObject({
      reason: 'STALE_COMMAND',
      message: 'issuedAt 0 is more than 100 ms behind the newest command (1000)',
    });
    // Stale commands were not remembered: k3 is new once its time is within the window.
    expect(placeAt(book, 'k3', 950, { orderId: 'c' })).toEqual(['ACCEPTED c']);
    expect(book.snapshot().engineTime).toBe(1000);
  });

  it('forgets a command once its issuedAt falls behind engine time minus the window, never sooner', () => {
    const book = small(100);
    placeAt(book, 'k1', 1000, { orderId: 'a', userId: 'u1' });
    cancelAt(book, 'k2', 1000, 'a');
    placeAt(book, 'k3', 1100, { orderId: 'z', side: 'SELL', price: '200', userId: 'u9' });
    // 1000 is exactly the window behind 1100: still remembered.
    expect(placeAt(book, 'k1', 1000, { orderId: 'a' })).toEqual(['REJECTED a DUPLICATE_COMMAND']);
    expect(placeAt(book, 'k4', 1100, { orderId: 'a' })).toEqual(['REJECTED a DUPLICATE_ORDER_ID']);
    expect(book.snapshot().recent.map(([t, id]) => `${id}@${t}`)).toEqual(['k1@1000', 'k2@1000', 'k3@1100', 'k4@1100']);
    placeAt(book, 'k5', 1101, { orderId: 'y', side: 'SELL', price: '200', userId: 'u9' });
    expect(book.snapshot().recent.map(([t, id]) => `${id}@${t}`)).toEqual(['k3@1100', 'k4@1100', 'k5@1101']);
    expect(placeAt(book, 'k1', 1001, { orderId: 'a' })).toEqual(['ACCEPTED a']);
  });

  it('keeps an entry that arrived after a younger one until that one expires (longer, never shorter)', () => {
    const book = small(10);
    placeAt(book, 'k1', 100, { orderId: 'a' });
    placeAt(book, 'k2', 95, { orderId: 'b' });
    placeAt(book, 'k3', 106, { orderId: 'c' });
    // k2 (95) is behind the horizon (96) but waits behind k1 (100): a repeat is still caught.
    expect(placeAt(book, 'k2', 96, { orderId: 'b2' })).toEqual(['REJECTED b2 DUPLICATE_COMMAND']);
    placeAt(book, 'k4', 111, { orderId: 'd' });
    expect(book.snapshot().recent.map(([, id]) => id)).toEqual(['k3', 'k4']);
  });

  it('rejects the id of any order accepted within the window, however it ended', () => {
    const book = running();
    sell(book, 'm', '100', '10', { userId: 'u2' });
    placeAt(book, 'f1', 10, { orderId: 'filled', quantity: '1' });
    placeAt(book, 'f2', 10, { orderId: 'ioc', quantity: '20', timeInForce: 'IOC' });
    placeAt(book, 'f3', 10, { orderId: 'market', type: 'MARKET', timeInForce: 'IOC', price: undefined });
    placeAt(book, 'f4', 10, { orderId: 'rejected', price: '-1' });
    for (const id of ['filled', 'ioc', 'market', 'm'])
      expect(placeAt(book, `again-${id}`, 10, { orderId: id })).toEqual([`REJECTED ${id} DUPLICATE_ORDER_ID`]);
    // A rejected placement did not take its id.
    expect(placeAt(book, 'f5', 10, { orderId: 'rejected', price: '90' })).toEqual(['ACCEPTED rejected']);
  });

  it('rejects the id of an open order even after its acceptance left the window', () => {
    const book = small(10);
    placeAt(book, 'k1', 100, { orderId: 'a', price: '90' });
    placeAt(book, 'k2', 200, { orderId: 'b', price: '91' });
    expect(book.snapshot().recent.map(([, id]) => id)).toEqual(['k2']);
    expect(placeAt(book, 'k3', 200, { orderId: 'a', price: '92' })).toEqual(['REJECTED a DUPLICATE_ORDER_ID']);
  });

  it('lets lifecycle commands neither move engine time nor be checked against the window', () => {
    const book = running();
    placeAt(book, 'k1', 1_000_000, { orderId: 'a', price: '90' });
    book.apply({ commandId: 'stop', code: 'STOP_ENGINE', issuedAt: 9_000_000, payload: {} });
    expect(lines(book.apply({ commandId: 'go', code: 'START_ENGINE', issuedAt: 0, payload: {} }))).toEqual([
      'STATE STOPPED->RUNNING',
    ]);
    expect(book.snapshot().engineTime).toBe(1_000_000);
    expect(placeAt(book, 'k2', 1_000_000 - 60_000, { orderId: 'b', price: '90' })).toEqual(['ACCEPTED b']);
  });

  it('takes the window from options, defaulting to 60 s, and refuses a bad one', () => {
    expect(running().snapshot().dedupWindowMs).toBe(60_000);
    expect(new OrderBook({ shardId: 's', dedupWindowMs: 1 }).snapshot().dedupWindowMs).toBe(1);
    expect(new OrderBook({ shardId: 's', dedupWindowMs: 86_400_000 }).snapshot().dedupWindowMs).toBe(86_400_000);
    for (const bad of [0, -1, 1.5, 86_400_001, Number.NaN, '5' as unknown as number]) {
      expect(() => new OrderBook({ shardId: 's', dedupWindowMs: bad })).toThrow(
        expect.objectContaining({ code: 'BOOK_ERR_CONFIG' }),
      );
    }
    expect(() => new OrderBook({ shardId: 's', lifecycleMemory: 0 })).toThrow(
      expect.objectContaining({ code: 'BOOK_ERR_CONFIG' }),
    );
    expect(() => new OrderBook({ shardId: '' })).toThrow(expect.objectContaining({ code: 'BOOK_ERR_CONFIG' }));
  });

  it('keeps its memory bounded by the window over a long run, and snapshots it exactly', () => {
    const book = small(1000);
    for (let i = 0; i < 20_000; i++) {
      const events = placeAt(book, `k${i}`, i, {
        orderId: `o${i}`,
        type: 'MARKET',
        timeInForce: 'IOC',
        price: undefined,
      });
      expect(events[0]).toBe(`ACCEPTED o${i}`);
    }
    const snap = book.snapshot();
    expect(snap.recent.length).toBe(1001);
    expect(snap.recent[0]).toEqual([18_999, 'k18999', 'o18999']);
    const restored = OrderBook.restore(JSON.parse(JSON.stringify(snap)));
    expect(restored.snapshot()).toEqual(snap);
    expect(placeAt(restored, 'k19500', 19_999, { orderId: 'x' })).toEqual(['REJECTED x DUPLICATE_COMMAND']);
    expect(placeAt(restored, 'k0', 19_999, { orderId: 'o19000' })).toEqual(['REJECTED o19000 DUPLICATE_ORDER_ID']);
    expect(placeAt(restored, 'k1', 19_999, { orderId: 'o18998', price: '90' })).toEqual(['ACCEPTED o18998']);
  });
});

describe('open-order caps', () => {
  const capped = (maxOpenOrders: number, maxOpenOrdersPerUser: number) =>
    running([{ ...TEST, maxOpenOrders, maxOpenOrdersPerUser }]);

  it('rejects a GTC limit order up front when its user is at the cap, even one that would trade', () => {
    const book = capped(10, 2);
    buy(book, 'a', '90', '1');
    buy(book, 'b', '91', '1');
    sell(book, 's', '100', '1', { userId: 'u2' });
    expect(buy(book, 'c', '100', '1')).toEqual(['REJECTED c MAX_OPEN_ORDERS_PER_USER']);
    expect(buy(book, 'd', '92', '1', { userId: 'u3' })).toEqual(['ACCEPTED d']);
    // IOC, FOK and market orders never rest, so no cap applies to them.
    expect(buy(book, 'e', '100', '1', { timeInForce: 'IOC' })).toEqual([
      'ACCEPTED e',
      'TRADE 1@100 e<-s',
      'FILLED s 1',
      'FILLED e 1',
    ]);
    expect(buy(book, 'f', '100', '1', { timeInForce: 'FOK' })).toEqual([
      'ACCEPTED f',
      'EXPIRED f filled=0 expired=1 FOK',
    ]);
    expect(place(book, { orderId: 'g', type: 'MARKET', timeInForce: 'IOC' })).toEqual([
      'ACCEPTED g',
      'EXPIRED g filled=0 expired=1 NO_LIQUIDITY',
    ]);
    cancel(book, 'a');
    expect(buy(book, 'c', '89', '1')).toEqual(['ACCEPTED c']);
  });

  it('rejects a GTC limit order when the symbol is at its cap; a fill frees a slot', () => {
    const book = capped(3, 3);
    buy(book, 'a', '90', '1');
    sell(book, 'b', '110', '2', { userId: 'u2' });
    sell(book, 'c', '111', '1', { userId: 'u3' });
    expect(sell(book, 'd', '112', '1', { userId: 'u4' })).toEqual(['REJECTED d MAX_OPEN_ORDERS']);
    expect(sell(book, 'e', '90', '1', { userId: 'u4' })).toEqual(['REJECTED e MAX_OPEN_ORDERS']);
    buy(book, 'x', '110', '1', { userId: 'u5', timeInForce: 'IOC' });
    expect(sell(book, 'd', '112', '1', { userId: 'u4' })).toEqual(['REJECTED d MAX_OPEN_ORDERS']);
    buy(book, 'y', '110', '1', { userId: 'u5', timeInForce: 'IOC' });
    expect(sell(book, 'd', '112', '1', { userId: 'u4' })).toEqual(['ACCEPTED d']);
  });

  it('counts per symbol: another symbol has its own caps', () => {
    const book = running([
      { ...TEST, maxOpenOrders: 1 },
      { ...TEST, symbol: 'OTHER', maxOpenOrders: 1 },
    ]);
    buy(book, 'a', '90', '1');
    expect(place(book, { orderId: 'b', symbol: 'OTHER', price: '90' })).toEqual(['ACCEPTED b']);
    expect(place(book, { orderId: 'c', symbol: 'OTHER', price: '91' })).toEqual(['REJECTED c MAX_OPEN_ORDERS']);
  });

  it('frees a user slot when self-trade prevention cancels the user’s resting order', () => {
    const book = capped(10, 1);
    sell(book, 'a', '100', '1');
    expect(buy(book, 'b', '100', '1', { selfTradePrevention: 'CANCEL_OLDEST' })).toEqual([
      'REJECTED b MAX_OPEN_ORDERS_PER_USER',
    ]);
    expect(buy(book, 'c', '100', '1', { timeInForce: 'IOC', selfTradePrevention: 'CANCEL_OLDEST' })).toEqual([
      'ACCEPTED c',
      'CANCELED a filled=0 canceled=1 SELF_TRADE_PREVENTION',
      'EXPIRED c filled=0 expired=1 IOC',
    ]);
    expect(buy(book, 'd', '100', '1')).toEqual(['ACCEPTED d']);
  });

  it('rebuilds the per-user counts on restore', () => {
    const book = capped(10, 2);
    buy(book, 'a', '90', '1');
    buy(book, 'b', '91', '1');
    const restored = OrderBook.restore(JSON.parse(JSON.stringify(book.snapshot())));
    expect(buy(restored, 'c', '92', '1')).toEqual(['REJECTED c MAX_OPEN_ORDERS_PER_USER']);
    expect(buy(restored, 'd', '92', '1', { userId: 'u2' })).toEqual(['ACCEPTED d']);
    cancel(restored, 'a');
    expect(buy(restored, 'c', '92', '1')).toEqual(['ACCEPTED c']);
  });

  it('applies the defaults: 1,000 open orders per user', () => {
    const book = running();
    for (let i = 0; i < 1000; i++) expect(buy(book, `o${i}`, String(1 + (i % 50)), '1')).toEqual([`ACCEPTED o${i}`]);
    expect(buy(book, 'one-more', '1', '1')).toEqual(['REJECTED one-more MAX_OPEN_ORDERS_PER_USER']);
    expect(buy(book, 'other-user', '1', '1', { userId: 'u2' })).toEqual(['ACCEPTED other-user']);
  });
});

describe('exact price-level totals', () => {
  const BIG = { ...TEST, maxQty: '9007199254740991' };
  const half = 2 ** 52; // 4503599627370496

  it('sums a level past 2^53 exactly, and back', () => {
    const book = running([BIG]);
    for (const id of ['a', 'b', 'c']) buy(book, id, '100', String(half));
    buy(book, 'd', '100', '7');
    expect(depth(book).bids).toEqual([`${3n * BigInt(half) + 7n}@100`]);
    expect(depth(book).bids).toEqual(['13510798882111495@100']);
    // A sell takes from the level; the total stays exact above 2^53 …
    sell(book, 's', '100', String(half - 1), { userId: 'u2' });
    expect(depth(book).bids).toEqual([`${2n * BigInt(half) + 8n}@100`]);
    // … and returns to a plain number below it.
    cancel(book, 'b');
    expect(depth(book).bids).toEqual([`${BigInt(half) + 8n}@100`]);
    cancel(book, 'c');
    expect(depth(book).bids).toEqual(['8@100']);
    buy(book, 'e', '100', '2');
    expect(depth(book).bids).toEqual(['10@100']);
    expect(lines(book.takeDepthEvents(1))).toEqual(['DEPTH TEST bids=[["100","10"]] asks=[]']);
  });

  it('goes exact at the first sum past 2^53 - 1, not before', () => {
    const book = running([BIG]);
    sell(book, 'a', '100', '9007199254740990');
    sell(book, 'b', '100', '1');
    expect(depth(book).asks).toEqual(['9007199254740991@100']);
    sell(book, 'c', '100', '1');
    expect(depth(book).asks).toEqual(['9007199254740992@100']);
    sell(book, 'd', '100', '1');
    expect(depth(book).asks).toEqual(['9007199254740993@100']);
    cancel(book, 'a');
    expect(depth(book).asks).toEqual(['3@100']);
  });
});

describe('INITIALIZE_ENGINE is declarative', () => {
  const init = (book: OrderBook, instruments: InstrumentSpec[]) =>
    lines(book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments } })));
  const stop = (book: OrderBook) => book.apply(cmd({ code: 'STOP_ENGINE', payload: {} }));
  const A = { ...TEST, symbol: 'AAA' };
  const B = { ...TEST, symbol: 'BBB' };

  it('adds, updates and removes symbols to match the list', () => {
    const book = running([TEST, A]);
    stop(book);
    expect(init(book, [A, { ...B, marketPriceBandBps: 50 }])).toEqual(['STATE STOPPED->INITIALIZED']);
    expect(book.symbols()).toEqual(['AAA', 'BBB']);
    expect(book.instrument('BBB')?.marketPriceBandBps).toBe(50);
    expect(book.depth('TEST')).toBeUndefined();
    const [e] = book.apply(cmd({ code: 'START_ENGINE', payload: {} }));
    expect(e?.payload).toEqual({ state: 'RUNNING', previous: 'INITIALIZED', symbols: ['AAA', 'BBB'] });
    expect(buy(book, 'x', '1', '1')).toEqual(['REJECTED x UNKNOWN_SYMBOL']);
  });

  it('refuses to drop a symbol with open orders, naming it, and changes nothing', () => {
    const book = running([TEST, A, B]);
    buy(book, 'o', '99', '1');
    place(book, { orderId: 'p', symbol: 'BBB', price: '99' });
    stop(book);
    const events = book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [{ ...A, maxQty: '5' }] } }));
    expect(events[0]?.payload).toMatchObject({
      reason: 'INVALID_INSTRUMENTS',
      message: 'TEST, BBB not listed but still have open orders: cancel them before removing the symbol',
    });
    expect(book.symbols()).toEqual(['TEST', 'AAA', 'BBB']);
    expect(book.instrument('AAA')?.maxQty).toBe('1000000');
    expect(book.engineState).toBe('STOPPED');
    const one = book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST, A] } }));
    expect(one[0]?.payload).toMatchObject({
      message: 'BBB not listed but still has open orders: cancel them before removing the symbol',
    });
  });

  it('drops the pending depth update of a removed symbol', () => {
    const book = running([TEST, A]);
    buy(book, 'o', '99', '1');
    place(book, { orderId: 'p', symbol: 'AAA', price: '99' });
    cancel(book, 'o');
    stop(book);
    init(book, [A]);
    expect(book.snapshot().dirtyOrder).toEqual(['AAA']);
    expect(lines(book.takeDepthEvents(1))).toEqual(['DEPTH AAA bids=[["99","1"]] asks=[]']);
    // Re-added, the symbol starts with an empty book and no pending update.
    init(book, [A, TEST]);
    expect(book.takeDepthEvents()).toEqual([]);
    expect(book.depth('TEST')).toEqual({ symbol: 'TEST', bids: [], asks: [] });
  });

  it('keeps every open order within the quantity range and caps it sets', () => {
    const book = running();
    buy(book, 'a', '99', '5');
    buy(book, 'b', '98', '1');
    buy(book, 'c', '97', '1', { userId: 'u2' });
    stop(book);
    const why = (change: Partial<InstrumentSpec>) =>
      book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [{ ...TEST, ...change }] } }))[0]?.payload;
    expect(why({ maxQty: '4' })).toMatchObject({
      reason: 'INVALID_INSTRUMENTS',
      message: 'instrument TEST has open orders: open order a of 5 is outside minQty-maxQty',
    });
    expect(why({ minQty: '2' })).toMatchObject({ message: expect.stringContaining('open order c of 1 is outside') });
    expect(why({ maxOpenOrders: 2 })).toMatchObject({
      message: 'instrument TEST has open orders: maxOpenOrders 2 is below its 3 open orders',
    });
    expect(why({ maxOpenOrdersPerUser: 1 })).toMatchObject({
      message: 'instrument TEST has open orders: maxOpenOrdersPerUser 1 is below the 2 open orders of u1',
    });
    expect(why({ lotSize: '5', minQty: '5', maxQty: '10' })).toMatchObject({
      message: expect.stringContaining('tick, lot and scales cannot change'),
    });
    expect(why({ priceScale: 2 })).toMatchObject({ message: expect.stringContaining('cannot change') });
    expect(why({ quantityScale: 2 })).toMatchObject({ message: expect.stringContaining('cannot change') });
    expect(why({ maxQty: '5', minQty: '1', maxOpenOrders: 3, maxOpenOrdersPerUser: 2 })).toMatchObject({
      state: 'INITIALIZED',
    });
    expect(book.instrument('TEST')).toMatchObject({ maxOpenOrders: 3, maxOpenOrdersPerUser: 2, maxLots: 5 });
  });

  it('refuses a symbol listed twice and anything that is not an instrument list', () => {
    const book = new OrderBook({ shardId: 's' });
    for (const instruments of [[TEST, TEST], [null], [42], 'TEST', null, [{ ...TEST, base: 1 }]]) {
      const events = book.apply(
        cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: instruments as unknown as InstrumentSpec[] } }),
      );
      expect(lines(events)).toEqual(['REJECTED - INVALID_INSTRUMENTS']);
    }
    expect(book.engineState).toBe('NEW');
  });
});

describe('input that is not a command', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'a command must be an object, got object'],
    ['a number', 42, 'a command must be an object, got number'],
    ['no commandId', { code: 'START_ENGINE', issuedAt: 0, payload: {} }, 'commandId must be a non-empty string'],
    [
      'an empty commandId',
      { commandId: '', code: 'START_ENGINE', issuedAt: 0, payload: {} },
      'commandId must be a non-empty string',
    ],
    [
      'a fractional issuedAt',
      { commandId: 'k', code: 'START_ENGINE', issuedAt: 1.5, payload: {} },
      'issuedAt must be an integer 0-253402300799999',
    ],
    [
      'a negative issuedAt',
      { commandId: 'k', code: 'START_ENGINE', issuedAt: -1, payload: {} },
      'issuedAt must be an integer 0-253402300799999',
    ],
    [
      'an issuedAt past 9999',
      { commandId: 'k', code: 'START_ENGINE', issuedAt: 253402300800000, payload: {} },
      'issuedAt must be an integer 0-253402300799999',
    ],
    [
      'a string issuedAt',
      { commandId: 'k', code: 'START_ENGINE', issuedAt: '1', payload: {} },
      'issuedAt must be an integer 0-253402300799999',
    ],
    ['an unknown code', { commandId: 'k', code: 'HALT', issuedAt: 1, payload: {} }, 'unknown command code "HALT"'],
    [
      'a code that breaks String()',
      { commandId: 'k', code: { toString: 1, valueOf: 1 }, issuedAt: 1, payload: {} },
      'unknown command code "object"',
    ],
  ])('rejects %s as MALFORMED_COMMAND without throwing', (_why, input, message) => {
    const book = running();
    const [e, ...rest] = book.apply(input as Command);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ seq: 3, code: 'ORDER_REJECTED', payload: { reason: 'MALFORMED_COMMAND', message } });
  });

  it('rejects junk payloads of order commands without throwing', () => {
    const book = running();
    const bad = { toString: 1, valueOf: 1 };
    const apply = (code: 'PLACE_ORDER' | 'CANCEL_ORDER', payload: unknown) =>
      lines(book.apply({ commandId: `j${++n}`, code, issuedAt: 0, payload } as Command));
    expect(apply('PLACE_ORDER', null)).toEqual(['REJECTED - INVALID_ORDER']);
    expect(apply('PLACE_ORDER', 'x')).toEqual(['REJECTED - INVALID_ORDER']);
    expect(apply('PLACE_ORDER', { ...order, orderId: 'o', symbol: bad })).toEqual(['REJECTED o UNKNOWN_SYMBOL']);
    expect(apply('CANCEL_ORDER', null)).toEqual(['REJECTED - ORDER_NOT_FOUND']);
    expect(apply('CANCEL_ORDER', { orderId: bad, userId: bad, symbol: bad })).toEqual(['REJECTED - ORDER_NOT_FOUND']);
    const [e] = book.apply({
      commandId: 'j-x',
      code: 'CANCEL_ORDER',
      issuedAt: 0,
      payload: { orderId: bad, symbol: 7 },
    } as unknown as Command);
    expect(e?.payload).toMatchObject({ message: 'no open order object on number' });
  });
});

describe('edges', () => {
  it('formats each instrument’s quantities with its own scale, even for the same lot counts', () => {
    const book = running([TEST, BTC, { ...TEST, symbol: 'T2', quantityScale: 2 }]);
    buy(book, 'a', '99', '70');
    place(book, { orderId: 'b', symbol: 'BTC-USDT', price: '1', quantity: '0.0007' });
    place(book, { orderId: 'c', symbol: 'T2', price: '99', quantity: '70' });
    expect(book.depth('TEST')?.bids).toEqual([['99', '70']]);
    expect(book.depth('BTC-USDT')?.bids).toEqual([['1.00000000', '0.000700000000000000']]);
    expect(book.depth('T2')?.bids).toEqual([['99', '70.00']]);
    expect(book.depth('NOPE')).toBeUndefined();
  });

  it('leaves out of a rejection what the command did not name', () => {
    const book = running();
    const [e] = book.apply(cmd({ code: 'CANCEL_ORDER', payload: null as unknown as CancelOrderPayload }));
    expect(e?.payload).toStrictEqual({ reason: 'ORDER_NOT_FOUND', message: 'no open order undefined on undefined' });
    const [u] = book.rejectUndecodable({}, 'CODEC_ERR_MALFORMED', 'not JSON');
    expect(u).toStrictEqual({
      shardId: 'shard-1',
      seq: 4,
      code: 'ORDER_REJECTED',
      commandId: undefined,
      payload: { reason: 'MALFORMED_COMMAND', detail: 'CODEC_ERR_MALFORMED', message: 'not JSON' },
    });
    const [r] = book.apply(cmd({ code: 'STOP_ENGINE', payload: {} }));
    expect(r?.code).toBe('ENGINE_STATE');
    const [s] = book.apply(cmd({ code: 'START_ENGINE', payload: {} }));
    const [i] = book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments: [TEST] } }));
    expect(s?.payload).toStrictEqual({ state: 'RUNNING', previous: 'STOPPED', symbols: ['TEST'] });
    expect(i?.payload).toStrictEqual({
      reason: 'INVALID_STATE',
      message: 'INITIALIZE_ENGINE while RUNNING: stop the engine first',
    });
  });

  it('computes band limits at the extremes', () => {
    expect(bandLimit(SELL, 100, 10_000)).toBe(1);
    expect(bandLimit(SELL, 100, 9_999)).toBe(1);
    expect(bandLimit(SELL, 10_000, 9_999)).toBe(1);
    expect(bandLimit(SELL, 100_000, 9_999)).toBe(10);
    expect(bandLimit(SELL, 2 ** 50, 500)).toBe(Number((2n ** 50n * 9_500n + 9_999n) / 10_000n));
    expect(bandLimit(SELL, 2 ** 50 + 1, 1)).toBe(Number(((2n ** 50n + 1n) * 9_999n + 9_999n) / 10_000n));
    expect(bandLimit(BUY, Number.MAX_SAFE_INTEGER, 100_000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(bandLimit(BUY, 45_035_996_273, 1)).toBe(45_040_499_872);
    expect(bandLimit(BUY, 45_035_996_274, 1)).toBe(45_040_499_873);
    expect(bandLimit(BUY, 1, 1)).toBe(1);
    expect(bandLimit(SELL, 1, 1)).toBe(1);
  });

  it('forgets the oldest lifecycle ids beyond its memory', () => {
    const book = new OrderBook({ shardId: 's', lifecycleMemory: 2 });
    const lc = (commandId: string, code: 'STOP_ENGINE' | 'START_ENGINE') =>
      lines(book.apply({ commandId, code, issuedAt: 0, payload: {} }));
    book.apply({ commandId: 'i', code: 'INITIALIZE_ENGINE', issuedAt: 0, payload: { instruments: [TEST] } });
    lc('a', 'START_ENGINE');
    lc('b', 'STOP_ENGINE');
    // 'i' has been forgotten: memory holds a and b.
    expect(book.snapshot().lifecycleIds).toEqual(['a', 'b']);
    expect(lc('a', 'START_ENGINE')).toEqual(['STATE STOPPED->STOPPED']);
    lc('c', 'START_ENGINE');
    expect(lc('a', 'STOP_ENGINE')).toEqual(['STATE RUNNING->STOPPED']);
    expect(lines(book.apply({ commandId: 'x', code: 'STOP_ENGINE', issuedAt: 0, payload: {} }))).toEqual([
      'STATE STOPPED->STOPPED',
    ]);
  });

  it('reports its counters and symbols', () => {
    const book = createOrderBook({ shardId: 'shard-7' });
    expect([book.shardId, book.lastSeq, book.engineState, book.openOrderCount]).toEqual(['shard-7', 0, 'NEW', 0]);
    expect(lines(book.apply({ commandId: 's', code: 'STOP_ENGINE', issuedAt: 0, payload: {} }))).toEqual([
      'REJECTED - INVALID_STATE',
    ]);
    book.apply({ commandId: 'i', code: 'INITIALIZE_ENGINE', issuedAt: 0, payload: { instruments: [TEST] } });
    book.apply({ commandId: 'g', code: 'START_ENGINE', issuedAt: 0, payload: {} });
    buy(book, 'a', '90', '1');
    expect([book.lastSeq, book.openOrderCount, book.symbols(), book.instrument('TEST')?.symbol]).toEqual([
      4,
      1,
      ['TEST'],
      'TEST',
    ]);
    expect(book.instrument('NOPE')).toBeUndefined();
  });
});
