import { createShardMap, type ShardInfo } from '@shardex/order-router';
import { MARKET_DATA_ERROR_CODES } from './errors';
import { createMarketDataFeed, type MarketDataFeed } from './market-data-feed';
import { FakeEventConsumer, ShardEvents } from './testing';

const shards: readonly ShardInfo[] = createShardMap({
  shards: [{ shardId: 'shard-1' }, { shardId: 'shard-2' }],
}).shards;
const OUT1 = 'shard-1-output';
const OUT2 = 'shard-2-output';

/** Messages a hub channel delivered, parsed. */
function listen(feed: MarketDataFeed, channel: string): Array<Record<string, unknown>> {
  const got: Array<Record<string, unknown>> = [];
  feed.subscribe(channel, (text) => got.push(JSON.parse(text) as Record<string, unknown>));
  return got;
}
const tick = () => new Promise((r) => setImmediate(r));

describe('createMarketDataFeed', () => {
  let consumer: FakeEventConsumer;
  let s1: ShardEvents;
  let s2: ShardEvents;
  let feed: MarketDataFeed;

  beforeEach(() => {
    consumer = new FakeEventConsumer({ [OUT1]: 2, [OUT2]: 1 });
    s1 = new ShardEvents('shard-1');
    s2 = new ShardEvents('shard-2');
  });
  afterEach(async () => {
    await feed?.stop();
  });

  async function started(opts: { warmupRecordsPerPartition?: number; tradesPerSymbol?: number } = {}) {
    feed = createMarketDataFeed({ shards, consumer, ...opts });
    await feed.start();
    return feed;
  }

  it('refuses bad options before touching Kafka', () => {
    expect(() => createMarketDataFeed({ shards: [], consumer })).toThrow(/MD_ERR_CONFIG/);
    expect(() => createMarketDataFeed({ shards: [shards[0] as ShardInfo, shards[0] as ShardInfo], consumer })).toThrow(
      /listed twice/,
    );
    expect(() => createMarketDataFeed({ shards, consumer, warmupRecordsPerPartition: 0 })).toThrow(/warmupRecords/);
    expect(() => createMarketDataFeed({ shards, consumer, maxPendingWaiters: 1.5 })).toThrow(/maxPendingWaiters/);
    expect(() => createMarketDataFeed({ shards })).toThrow(/either a consumer or the kafka options/);
    expect(consumer.connected).toBe(false);
  });

  it('warms up from the tail of each partition, and is ready once it read up to where they ended at start', async () => {
    for (let i = 0; i < 10; i++) consumer.append(OUT1, 0, s1.depth('BTC-USDT', [[`${100 + i}.00`, '1.000']]));
    consumer.append(OUT1, 1, s1.depth('ETH-USDT', [['10.00', '1.000']]));
    consumer.truncate(OUT1, 1, 1); // partition 1 holds nothing any more (retention): nothing to wait for there
    consumer.append(OUT2, 0, s2.depth('SOL-USDT', [['1.00', '1.000']]));
    await started({ warmupRecordsPerPartition: 4 });

    // The join hook positioned every partition: 4 records back from the end, never below the earliest.
    expect(consumer.seeks).toEqual([
      { topic: OUT1, partition: 0, offset: '6' },
      { topic: OUT1, partition: 1, offset: '1' },
      { topic: OUT2, partition: 0, offset: '0' },
    ]);
    expect(feed.ready()).toBe(false);
    const ready = feed.whenReady(5_000);
    await consumer.deliver(OUT1, 0, { max: 2 });
    expect(feed.ready()).toBe(false);
    expect(feed.stats().partitionsWarmingUp).toBe(2);
    await consumer.drain();
    await expect(ready).resolves.toBeUndefined();
    expect(feed.ready()).toBe(true);
    expect(feed.depth('BTC-USDT')).toMatchObject({ bids: [['109.00', '1.000']], U: 10, u: 10 });
    expect(feed.depth('SOL-USDT')).toMatchObject({ u: 1 });
    expect(feed.stats()).toMatchObject({ events: 5, duplicates: 0, ready: true });
  });

  it("tells each shard's state, symbols and last seq from its output, and counts live commands only", async () => {
    let now = 1_700_000_000_000;
    consumer.append(OUT1, 0, s1.engineState('RUNNING', 'INITIALIZED', ['BTC-USDT'], 'start-1'));
    consumer.append(OUT1, 0, s1.accepted({ orderId: 'old' }));
    feed = createMarketDataFeed({ shards, consumer, now: () => now });
    await feed.start();
    await consumer.drain();
    consumer.append(OUT1, 0, s1.accepted({ orderId: 'a' }));
    consumer.append(OUT1, 0, s1.depth('BTC-USDT', [['1.00', '1.000']]));
    consumer.append(OUT1, 1, s1.accepted({ orderId: 'b', symbol: 'ETH-USDT' }));
    consumer.append(OUT1, 0, s1.engineState('STOPPED', 'RUNNING', ['BTC-USDT'], 'stop-1'));
    await consumer.drain();
    now += 1_000;
    expect(feed.shards()).toEqual([
      // The history before start (RUNNING, order "old") sets the state but is not counted as activity.
      { shardId: 'shard-1', state: 'STOPPED', symbols: ['BTC-USDT'], lastSeq: 6, commandsPerSecond: 0.3 },
      { shardId: 'shard-2', state: null, symbols: null, lastSeq: null, commandsPerSecond: 0 },
    ]);
  });

  it('is ready at once when every output partition is empty', async () => {
    await started();
    expect(feed.ready()).toBe(true);
    await expect(feed.whenReady(10)).resolves.toBeUndefined();
  });

  it('keeps history out of the live trade and order channels, but in the trade ring; depth is always published', async () => {
    consumer.append(OUT1, 0, s1.accepted({ orderId: 'old', userId: 'u1' }));
    consumer.append(OUT1, 0, s1.trade({ takerOrderId: 'old', makerOrderId: 'm0', price: '99.00' }));
    await started();
    const trades = listen(feed, 'trades:BTC-USDT');
    const orders = listen(feed, 'orders:u1');
    const depth = listen(feed, 'depth:BTC-USDT');
    consumer.append(OUT1, 0, s1.depth('BTC-USDT', [['99.00', '1.000']]));
    await consumer.drain();
    expect(feed.ready()).toBe(true);
    expect(trades).toEqual([]);
    expect(orders).toEqual([]);
    expect(depth).toHaveLength(1);
    expect(feed.recentTrades('BTC-USDT').map((t) => t.price)).toEqual(['99.00']);

    consumer.append(OUT1, 0, s1.trade({ takerOrderId: 'new', makerOrderId: 'm1', price: '101.00', quantity: '0.5' }));
    await consumer.drain();
    expect(trades).toEqual([
      {
        type: 'trade',
        channel: 'trades:BTC-USDT',
        data: {
          tradeId: 'shard-1-4',
          symbol: 'BTC-USDT',
          price: '101.00',
          quantity: '0.5',
          takerSide: 'BUY',
          shardId: 'shard-1',
          seq: 4,
        },
      },
    ]);
    expect(feed.recentTrades('BTC-USDT').map((t) => t.price)).toEqual(['99.00', '101.00']);
  });

  it('drops duplicates by (shard, seq): a shard that restarts and publishes the same events again', async () => {
    await started();
    const trades = listen(feed, 'trades:BTC-USDT');
    const events = [
      s1.accepted({ orderId: 'a' }),
      s1.trade({ takerOrderId: 'a', makerOrderId: 'm' }),
      s1.depth('BTC-USDT', [['1.00', '1.000']]),
    ];
    for (const e of events) consumer.append(OUT1, 0, e);
    await consumer.drain();
    for (const e of events.slice(1)) consumer.append(OUT1, 0, e); // the replay
    consumer.append(OUT1, 0, s1.trade({ takerOrderId: 'b', makerOrderId: 'm' })); // then new events
    // The same seq from another shard is another event.
    consumer.append(OUT2, 0, { ...s2.trade({ takerOrderId: 'c', makerOrderId: 'm' }), seq: 2 });
    await consumer.drain();
    expect(feed.stats()).toMatchObject({ events: 5, duplicates: 2 });
    expect(trades.map((m) => (m['data'] as { tradeId: string }).tradeId)).toEqual([
      'shard-1-2',
      'shard-1-4',
      'shard-2-1',
    ]);
    expect(feed.recentTrades('BTC-USDT')).toHaveLength(3);
    expect(feed.depth('BTC-USDT')).toMatchObject({ u: 3, U: 3 });
  });

  it('publishes depth with chained U/u', async () => {
    await started();
    const depth = listen(feed, 'depth:BTC-USDT');
    consumer.append(OUT1, 0, s1.depth('BTC-USDT', [['1.00', '1.000']]));
    consumer.append(OUT1, 0, s1.accepted({ orderId: 'a' }));
    consumer.append(OUT1, 0, s1.depth('BTC-USDT', [['1.00', '2.000']], [['2.00', '1.000']]));
    await consumer.drain();
    expect(depth).toEqual([
      {
        type: 'depth',
        channel: 'depth:BTC-USDT',
        data: { symbol: 'BTC-USDT', shardId: 'shard-1', bids: [['1.00', '1.000']], asks: [], U: 1, u: 1 },
      },
      {
        type: 'depth',
        channel: 'depth:BTC-USDT',
        data: {
          symbol: 'BTC-USDT',
          shardId: 'shard-1',
          bids: [['1.00', '2.000']],
          asks: [['2.00', '1.000']],
          U: 2,
          u: 3,
        },
      },
    ]);
  });

  it('sends a user their own order events, trades as taker and as maker, without the counterparty', async () => {
    await started();
    const u1 = listen(feed, 'orders:u1');
    const u2 = listen(feed, 'orders:u2');
    consumer.append(OUT1, 0, s1.accepted({ orderId: 'o1', userId: 'u1', side: 'BUY' }));
    consumer.append(
      OUT1,
      0,
      s1.trade({ takerOrderId: 'o1', takerUserId: 'u1', makerOrderId: 'm1', makerUserId: 'u2', quantity: '1.000' }),
    );
    consumer.append(OUT1, 0, s1.filled('m1', '1.000', 'place:o1', 'u2'));
    consumer.append(OUT1, 0, s1.filled('o1', '1.000', 'place:o1', 'u1'));
    consumer.append(OUT1, 0, s1.rejected('o2', 'UNKNOWN_SYMBOL', { userId: 'u2', symbol: 'NOPE' }));
    await consumer.drain();
    expect(u1.map((m) => m['event'])).toEqual(['ORDER_ACCEPTED', 'TRADE', 'ORDER_FILLED']);
    expect(u1[1]).toEqual({
      type: 'order',
      channel: 'orders',
      event: 'TRADE',
      shardId: 'shard-1',
      seq: 2,
      data: {
        tradeId: 'shard-1-2',
        symbol: 'BTC-USDT',
        price: '100.00',
        quantity: '1.000',
        orderId: 'o1',
        side: 'BUY',
        liquidity: 'TAKER',
      },
    });
    expect(u2.map((m) => m['event'])).toEqual(['TRADE', 'ORDER_FILLED', 'ORDER_REJECTED']);
    expect(u2[0]?.['data']).toMatchObject({ orderId: 'm1', side: 'SELL', liquidity: 'MAKER' });
    expect(JSON.stringify(u2)).not.toContain('u1');
    expect(JSON.stringify(u1)).not.toContain('u2');
  });

  describe('waitForOrder', () => {
    it('resolves when the order’s events arrived, even split over batches', async () => {
      await started();
      const wait = feed.waitForOrder('o1', 5_000);
      let outcome: unknown;
      void wait.then((o) => (outcome = o));
      consumer.append(OUT1, 1, s1.accepted({ orderId: 'o1', quantity: '2.000' }));
      consumer.append(OUT1, 1, s1.trade({ takerOrderId: 'o1', makerOrderId: 'm1', quantity: '1.000' }));
      consumer.append(OUT1, 1, s1.filled('m1', '1.000', 'place:o1', 'u2'));
      consumer.append(OUT1, 1, s1.updated('o1', '1.000', '1.000', 'place:o1'));
      // A fetch cut short after two records: the batch says more was written, so the outcome waits.
      await consumer.deliver(OUT1, 1, { max: 2 });
      await tick();
      expect(outcome).toBeUndefined();
      await consumer.deliver(OUT1, 1, { max: 1 });
      await tick();
      expect(outcome).toBeUndefined();
      await consumer.deliver(OUT1, 1);
      await expect(wait).resolves.toMatchObject({
        orderId: 'o1',
        shardId: 'shard-1',
        status: 'PARTIALLY_FILLED',
        filledQuantity: '1.000',
        fills: [{ tradeId: 'shard-1-2', liquidity: 'TAKER' }],
        complete: true,
      });
    });

    it('resolves a resting order (only ORDER_ACCEPTED) at the end of a batch that reached the high watermark', async () => {
      await started();
      const wait = feed.waitForOrder('o1', 5_000);
      let outcome: unknown;
      void wait.then((o) => (outcome = o));
      consumer.append(OUT1, 0, s1.accepted({ orderId: 'o1' }));
      await consumer.deliver(OUT1, 0, { highWatermark: 5 }); // the broker says more is written
      await tick();
      expect(outcome).toBeUndefined();
      consumer.append(OUT1, 0, s1.accepted({ orderId: 'other' }));
      await consumer.deliver(OUT1, 0, { max: 1, highWatermark: 9 });
      await expect(wait).resolves.toMatchObject({ status: 'NEW', accepted: true, complete: true });

      const second = feed.waitForOrder('o2', 5_000);
      consumer.append(OUT1, 0, s1.accepted({ orderId: 'o2' }));
      await consumer.deliver(OUT1, 0);
      await expect(second).resolves.toMatchObject({ status: 'NEW', complete: true });
    });

    it('resolves a rejection, and times out with undefined when no event comes', async () => {
      await started();
      const rejected = feed.waitForOrder('o1', 5_000);
      const never = feed.waitForOrder('o2', 30);
      consumer.append(OUT2, 0, s2.rejected('o1', 'MAX_OPEN_ORDERS_PER_USER', { message: 'cap' }));
      await consumer.drain();
      await expect(rejected).resolves.toMatchObject({
        accepted: false,
        status: 'REJECTED',
        rejection: { reason: 'MAX_OPEN_ORDERS_PER_USER', message: 'cap' },
      });
      await expect(never).resolves.toBeUndefined();
      expect(feed.stats().waitersPending).toBe(0);
    });

    it('caps pending waiters, and a stopped feed takes none (pending ones resolve)', async () => {
      feed = createMarketDataFeed({ shards, consumer, maxPendingWaiters: 1 });
      await feed.start();
      const first = feed.waitForOrder('a', 5_000);
      expect(() => feed.waitForOrder('b', 5_000)).toThrow(expect.objectContaining({ code: 'MD_ERR_TOO_MANY_WAITERS' }));
      await feed.stop();
      await expect(first).resolves.toBeUndefined();
      expect(() => feed.waitForOrder('c', 5_000)).toThrow(expect.objectContaining({ code: 'MD_ERR_STOPPED' }));
    });
  });

  it('re-positions every partition where it was on a rejoin, so nothing is read twice or skipped', async () => {
    for (let i = 0; i < 6; i++) consumer.append(OUT1, 0, s1.trade({ takerOrderId: `t${i}`, makerOrderId: 'm' }));
    await started({ warmupRecordsPerPartition: 3 });
    await consumer.deliver(OUT1, 0, { max: 2 }); // offsets 3 and 4
    consumer.join(); // a rebalance; this group has no committed offsets, so kafkajs would start from the beginning
    expect(consumer.seeks.slice(-3)).toEqual([
      { topic: OUT1, partition: 0, offset: '5' },
      { topic: OUT1, partition: 1, offset: '0' },
      { topic: OUT2, partition: 0, offset: '0' },
    ]);
    consumer.crash(new Error('network'), true); // kafkajs restarts the consumer: same again
    await consumer.drain();
    expect(feed.recentTrades('BTC-USDT').map((t) => t.seq)).toEqual([4, 5, 6]);
    expect(feed.stats().duplicates).toBe(0);
    expect(feed.ready()).toBe(true);
  });

  it('stops for good when the consumer crashes without restart: not ready, waiters resolved', async () => {
    consumer.append(OUT1, 0, s1.depth('BTC-USDT', []));
    await started();
    const wait = feed.waitForOrder('o1', 5_000);
    const ready = feed.whenReady(5_000);
    consumer.crash(new Error('fatal'), false);
    await expect(ready).rejects.toMatchObject({ code: 'MD_ERR_STOPPED' });
    await expect(wait).resolves.toBeUndefined();
    expect(feed.ready()).toBe(false);
  });

  it('counts and skips records it cannot decode, and keeps going', async () => {
    await started();
    consumer.append(OUT1, 0, { value: 'not json', headers: { 'shardex-schema-version': '1' } });
    consumer.append(OUT1, 0, { value: '{}', headers: {} });
    consumer.append(OUT1, 0, s1.depth('BTC-USDT', [['1.00', '1.000']]));
    await consumer.drain();
    expect(feed.stats()).toMatchObject({ malformed: 2, events: 1 });
    expect(feed.depth('BTC-USDT')?.u).toBe(1);
  });

  it('fails start with MD_ERR_START when the consumer cannot connect, and whenReady times out before that', async () => {
    consumer.failConnect = new Error('ECONNREFUSED');
    feed = createMarketDataFeed({ shards, consumer });
    await expect(feed.whenReady(5)).rejects.toMatchObject({ code: 'MD_ERR_NOT_READY' });
    await expect(feed.start()).rejects.toMatchObject({
      code: 'MD_ERR_START',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(feed.ready()).toBe(false);
    await expect(feed.start()).rejects.toMatchObject({ code: 'MD_ERR_START' });
  });

  it('documents every error code', () => {
    for (const doc of Object.values(MARKET_DATA_ERROR_CODES)) expect(doc.length).toBeGreaterThan(20);
  });
});
