import type { Command, EngineEvent, InstrumentSpec, PlaceOrderPayload, StpMode } from '@shardex/contracts';
import { BTC, TEST } from '@shardex/contracts/testing';
import { bandLimit, OrderBook } from './order-book';
import { BUY, SELL } from './price-levels';

// Hand-computed scenarios on TEST (tick 1, lot 1, 10% market band, CANCEL_NEWEST by default). Events are written
// as short lines so each expectation reads like the trade blotter it was computed from.

let n = 0;
const cmd = <C extends Command>(c: Omit<C, 'commandId' | 'issuedAt'>): C =>
  ({ ...c, commandId: `c${++n}`, issuedAt: 0 }) as C;

function running(instruments: InstrumentSpec[] = [TEST], shardId = 'shard-1'): OrderBook {
  const book = new OrderBook({ shardId });
  book.apply(cmd({ code: 'INITIALIZE_ENGINE', payload: { instruments } }));
  book.apply(cmd({ code: 'START_ENGINE', payload: {} }));
  return book;
}

type Place = Partial<PlaceOrderPayload> & { orderId: string };
const place = (book: OrderBook, p: Place) =>
  lines(
    book.apply(
      cmd({
        code: 'PLACE_ORDER',
        payload: { userId: 'u1', symbol: 'TEST', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', ...p },
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

  it('rejects a duplicate open order id, and accepts the id again once the order is closed', () => {
    const book = running();
    buy(book, 'o', '99', '1');
    expect(buy(book, 'o', '98', '1')).toEqual(['REJECTED o DUPLICATE_ORDER_ID']);
    cancel(book, 'o');
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
    const next = (book: OrderBook) => [
      ...buy(book, 'z', '101', '9', { userId: 'u2' }),
      ...cancel(book, 'b1', 'u2'),
      ...lines(book.takeDepthEvents()),
    ];
    expect(next(b)).toEqual(next(a));
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('refuses other versions and other shards', () => {
    const snap = running().snapshot();
    expect(() => OrderBook.restore({ ...snap, v: 2 as 1 })).toThrow(
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
