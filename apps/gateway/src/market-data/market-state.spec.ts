import { MarketState } from './market-state';
import { ShardEvents } from './testing';

describe('MarketState', () => {
  it('keeps the newest depth per symbol and chains U/u: U = previous DEPTH seq + 1, u = this DEPTH seq', () => {
    const s = new MarketState();
    const ev = new ShardEvents('shard-1', 10);
    const first = s.applyDepth(ev.depth('BTC-USDT', [['100.00', '1.000']]));
    expect(first).toMatchObject({ symbol: 'BTC-USDT', shardId: 'shard-1', U: 10, u: 10 });
    ev.seq = 41;
    const second = s.applyDepth(ev.depth('BTC-USDT', [['101.00', '2.000']], [['102.00', '1.000']]));
    expect(second).toMatchObject({ U: 11, u: 42, bids: [['101.00', '2.000']], asks: [['102.00', '1.000']] });
    expect(s.depth('BTC-USDT')).toBe(second);
    // Another symbol has its own chain.
    expect(s.applyDepth(ev.depth('ETH-USDT', []))).toMatchObject({ U: 43, u: 43 });
    expect(s.depth('BTC-USDT')?.u).toBe(42);
  });

  it('ignores a DEPTH that is not newer than the one held (a replay), and malformed ones', () => {
    const s = new MarketState();
    const ev = new ShardEvents('shard-1', 5);
    const depth = ev.depth('BTC-USDT', [['100.00', '1.000']]);
    s.applyDepth(depth);
    expect(s.applyDepth(depth)).toBeUndefined();
    expect(s.applyDepth({ ...depth, seq: 4, payload: { ...depth.payload, bids: [] } })).toBeUndefined();
    expect(s.depth('BTC-USDT')?.bids).toEqual([['100.00', '1.000']]);
    const bad = { ...ev.depth('BTC-USDT', []), payload: { symbol: 'BTC-USDT', bids: 'x', asks: [] } };
    expect(s.applyDepth(bad as never)).toBeUndefined();
    expect(s.depth('BTC-USDT')?.u).toBe(5);
  });

  it('starts a new U/u chain when the symbol moves to another shard', () => {
    const s = new MarketState();
    s.applyDepth(new ShardEvents('shard-1', 100).depth('BTC-USDT', []));
    const moved = s.applyDepth(new ShardEvents('shard-2', 500).depth('BTC-USDT', []));
    expect(moved).toMatchObject({ shardId: 'shard-2', U: 500, u: 500 });
  });

  it('keeps a bounded ring of public trades per symbol, oldest first, without user or order ids', () => {
    const s = new MarketState({ tradesPerSymbol: 3 });
    const ev = new ShardEvents('shard-1');
    for (let i = 1; i <= 5; i++)
      s.addTrade(ev.trade({ takerOrderId: `t${i}`, makerOrderId: `m${i}`, price: `${i}.00` }));
    s.addTrade(ev.trade({ takerOrderId: 'x', makerOrderId: 'y', symbol: 'ETH-USDT' }));
    const trades = s.recentTrades('BTC-USDT');
    expect(trades.map((t) => t.price)).toEqual(['3.00', '4.00', '5.00']);
    expect(trades[0]).toEqual({
      tradeId: 'shard-1-3',
      symbol: 'BTC-USDT',
      price: '3.00',
      quantity: '1.000',
      takerSide: 'BUY',
      shardId: 'shard-1',
      seq: 3,
    });
    expect(s.recentTrades('BTC-USDT', 2).map((t) => t.price)).toEqual(['4.00', '5.00']);
    expect(s.recentTrades('BTC-USDT', 0)).toEqual([]);
    expect(s.recentTrades('NOPE')).toEqual([]);
    expect(s.symbols()).toEqual(['BTC-USDT', 'ETH-USDT']);
  });

  it('returns trades in order before the ring is full', () => {
    const s = new MarketState({ tradesPerSymbol: 10 });
    const ev = new ShardEvents('shard-1');
    for (let i = 1; i <= 4; i++)
      s.addTrade(ev.trade({ takerOrderId: `t${i}`, makerOrderId: `m${i}`, price: `${i}.00` }));
    expect(s.recentTrades('BTC-USDT', 3).map((t) => t.price)).toEqual(['2.00', '3.00', '4.00']);
  });
});
