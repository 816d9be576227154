import { encodeEvent, type EngineEvent } from '@shardex/contracts';
import { createKafkaProducer, type KafkaProducer } from '@shardex/kafka';
import { createShardMap, type ShardInfo } from '@shardex/order-router';
import { createTestTopics, getTestInfra, type TestTopics } from '@shardex/testing';
import { createMarketDataFeed, type MarketDataFeed } from './market-data-feed';
import { ShardEvents } from './testing';

// The feed against a real broker: encoded events on real output topics (several partitions, keyed by symbol as the
// engine keys them), two gateway replicas each seeing everything, warm-up from the tail, de-dup of a replay and
// order outcomes that arrive before the test even "acks" its produce.

let topics: TestTopics;
let producer: KafkaProducer;
let shards: readonly ShardInfo[];
const feeds: MarketDataFeed[] = [];

async function publish(shard: ShardInfo, events: EngineEvent[]): Promise<void> {
  await Promise.all(events.map((e) => producer.send({ topic: shard.kafkaOutputTopic, ...encodeEvent(e) })));
  await producer.flush();
}

function feed(): MarketDataFeed {
  const f = createMarketDataFeed({
    shards,
    kafka: { brokers: getTestInfra().kafkaBrokers, clientId: 'md-int-spec', maxWaitTimeMs: 200 },
    warmupRecordsPerPartition: 5,
  });
  feeds.push(f);
  return f;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  topics = await createTestTopics([
    { name: 'shard-1-output', partitions: 3 },
    { name: 'shard-2-output', partitions: 1 },
  ]);
  shards = createShardMap({
    shards: [
      { shardId: 'shard-1', kafkaOutputTopic: topics.name('shard-1-output') },
      { shardId: 'shard-2', kafkaOutputTopic: topics.name('shard-2-output') },
    ],
  }).shards;
  producer = createKafkaProducer({ brokers: getTestInfra().kafkaBrokers, clientId: 'md-int-spec-producer' });
  await producer.connect();
});

// afterAll runs when a test failed too: the feeds' consumers leave and the topics go.
afterAll(async () => {
  try {
    await Promise.all(feeds.map((f) => f.stop()));
    await producer?.disconnect();
  } finally {
    await topics?.drop();
  }
});

describe('market-data feed on Kafka', () => {
  const s1 = new ShardEvents('shard-1');
  const s2 = new ShardEvents('shard-2');
  let a: MarketDataFeed;
  let b: MarketDataFeed;

  it('warms up from the tail: with 5 records a partition, only the last trades of a long history are kept', async () => {
    const [one, two] = shards as [ShardInfo, ShardInfo];
    // 20 BTC-USDT trades then a DEPTH: one key, so one partition of shard-1's output.
    const history: EngineEvent[] = [];
    for (let i = 1; i <= 20; i++)
      history.push(s1.trade({ takerOrderId: `h${i}`, makerOrderId: 'm', price: `${i}.00` }));
    history.push(s1.depth('BTC-USDT', [['20.00', '1.000']]));
    await publish(one, history);
    await publish(two, [s2.depth('SOL-USDT', [['1.00', '5.000']])]);

    a = feed();
    await a.start();
    await a.whenReady(30_000);
    expect(a.recentTrades('BTC-USDT').map((t) => t.price)).toEqual(['17.00', '18.00', '19.00', '20.00']);
    expect(a.depth('BTC-USDT')).toMatchObject({ shardId: 'shard-1', u: 21, bids: [['20.00', '1.000']] });
    expect(a.depth('SOL-USDT')).toMatchObject({ shardId: 'shard-2', u: 1 });
  });

  it('gives every replica every event, and resolves order outcomes (filled, resting, rejected)', async () => {
    const [one, two] = shards as [ShardInfo, ShardInfo];
    b = feed(); // a second gateway: its own group, so it does not take partitions away from the first
    await b.start();
    await b.whenReady(30_000);

    const tradesA: string[] = [];
    const tradesB: string[] = [];
    a.subscribe('trades:BTC-USDT', (t) => tradesA.push(t));
    b.subscribe('trades:BTC-USDT', (t) => tradesB.push(t));
    const depthB: string[] = [];
    b.subscribe('depth:ETH-USDT', (t) => depthB.push(t));

    // Registered before the produce, as the order route does.
    const filled = a.waitForOrder('o1', 15_000);
    const resting = b.waitForOrder('o2', 15_000);
    const rejected = a.waitForOrder('o3', 15_000);
    await publish(one, [
      s1.accepted({ orderId: 'o1', quantity: '1.000' }),
      s1.trade({ takerOrderId: 'o1', makerOrderId: 'm1', price: '21.00', quantity: '1.000' }),
      s1.filled('m1', '1.000', 'place:o1', 'u2'),
      s1.filled('o1', '1.000', 'place:o1'),
      s1.accepted({ orderId: 'o2', symbol: 'ETH-USDT', side: 'SELL', price: '3000.00' }),
      s1.depth('ETH-USDT', [], [['3000.00', '1.000']]),
    ]);
    await publish(two, [s2.rejected('o3', 'UNKNOWN_SYMBOL', { symbol: 'NOPE-USDT', message: 'no such symbol' })]);

    await expect(filled).resolves.toMatchObject({
      shardId: 'shard-1',
      status: 'FILLED',
      filledQuantity: '1.000',
      fills: [{ price: '21.00', quantity: '1.000', liquidity: 'TAKER' }],
      complete: true,
    });
    await expect(resting).resolves.toMatchObject({ status: 'NEW', accepted: true, complete: true });
    await expect(rejected).resolves.toMatchObject({
      shardId: 'shard-2',
      status: 'REJECTED',
      rejection: { reason: 'UNKNOWN_SYMBOL', message: 'no such symbol' },
      complete: true,
    });
    await until('both replicas to publish the trade', () => tradesA.length === 1 && tradesB.length === 1);
    expect(tradesA).toEqual(tradesB);
    await until('the ETH depth on replica b', () => depthB.length === 1);
    expect(JSON.parse(depthB[0] as string)).toMatchObject({ data: { asks: [['3000.00', '1.000']], U: 27, u: 27 } });
  });

  it('drops a shard’s replay of events it already delivered', async () => {
    const [one] = shards as [ShardInfo];
    const trades: string[] = [];
    a.subscribe('trades:BTC-USDT', (t) => trades.push(t));
    const before = a.stats();
    const replayFrom = s1.seq;
    const fresh = [
      s1.trade({ takerOrderId: 'x1', makerOrderId: 'm', price: '22.00' }),
      s1.trade({ takerOrderId: 'x2', makerOrderId: 'm', price: '23.00' }),
    ];
    await publish(one, fresh);
    await until('the new trades', () => trades.length === 2);
    // The shard restarts and publishes the same seqs again, then goes on.
    await publish(one, fresh);
    s1.seq = replayFrom + 2;
    await publish(one, [s1.trade({ takerOrderId: 'x3', makerOrderId: 'm', price: '24.00' })]);
    await until('the trade after the replay', () => trades.length === 3);
    expect(trades.map((t) => (JSON.parse(t) as { data: { price: string } }).data.price)).toEqual([
      '22.00',
      '23.00',
      '24.00',
    ]);
    expect(a.stats().duplicates - before.duplicates).toBe(2);
    expect(a.recentTrades('BTC-USDT').map((t) => t.price)).toEqual([
      '17.00',
      '18.00',
      '19.00',
      '20.00',
      '21.00',
      '22.00',
      '23.00',
      '24.00',
    ]);
  });
});
