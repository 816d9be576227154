import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { decodeEvent, type EngineEvent, type Logger, silentLogger } from '@shardex/contracts';
import {
  type BatchControl,
  type ConsumedMessage,
  createKafkaConsumer,
  type KafkaConsumerOptions,
} from '@shardex/kafka';
import type { ShardInfo } from '@shardex/order-router';
import { MarketDataError } from './errors';
import type { EventConsumerPort } from './event-consumer.port';
import { type DepthSnapshot, MarketState, type PublicTrade } from './market-state';
import { type OrderOutcome, OrderTracker, type WaitOptions } from './order-tracker';
import { ShardActivity, type ShardActivityView } from './shard-activity';
import {
  createSubscriptionHub,
  depthChannel,
  type HubListener,
  ordersChannel,
  type SubscriptionHub,
  tradesChannel,
} from './subscription-hub';

/**
 * The gateway's view of every shard's output: one consumer over all output topics, feeding per-symbol depth and
 * recent trades, a subscription hub (`trades:<SYMBOL>`, `depth:<SYMBOL>`, `orders:<userId>`) and the waiters of
 * the gateway's own place commands.
 *
 * Every replica must see every event, so the consumer's group is unique to the instance (`<prefix>-<host>-<pid>-
 * <random>`) and never commits: the group only exists to drive kafkajs, it dies with the instance, and no two
 * replicas split partitions. Warm-up: at start the feed reads each output partition's offsets and seeks to
 * `max(earliest, end − warmupRecordsPerPartition)`, so it reads back the recent tail (default 5,000 records a
 * partition, i.e. at least 50 DEPTH rounds at the engine's default cadence) rather than the whole history. A
 * symbol whose book did not change within that tail has no depth until its next change. Records below the end
 * offsets seen at start are history: they build state (depth, trade rings) and depth messages, but trades and
 * order events from them are not pushed to subscribers as if they were new. `ready()` turns true once every
 * partition was read up to those end offsets.
 *
 * De-duplication: per topic-partition and shard, events whose seq is not above the highest seen are dropped. A
 * shard's events are keyed by symbol, so a replay after a shard restart lands on the partition of the original
 * with a seq below that partition's high mark.
 */

export interface MarketDataFeedOptions {
  /** Every shard (its output topic is read); at least one. */
  shards: readonly ShardInfo[];
  /** The consumer to read with (tests pass a fake); without it one is created from `kafka`. */
  consumer?: EventConsumerPort;
  /** Broker settings for the consumer the feed creates (its group id is made unique to this instance). */
  kafka?: Omit<KafkaConsumerOptions, 'groupId' | 'exclusivePriority'>;
  /** Prefix of the instance's own consumer group. Default `shardex-gateway-md`. */
  groupIdPrefix?: string;
  /** Records read back from the end of each output partition at start. Default 5,000. */
  warmupRecordsPerPartition?: number;
  /** Recent trades kept per symbol. Default 200. */
  tradesPerSymbol?: number;
  /** Most `waitForOrder` calls pending at once. Default 10,000. */
  maxPendingWaiters?: number;
  logger?: Logger;
  /** The clock of the commands/s windows; default Date.now. */
  now?: () => number;
}

export interface MarketDataStats {
  /** Events taken (after de-duplication). */
  events: number;
  duplicates: number;
  /** Records the codec refused, or events whose payload could not be used. */
  malformed: number;
  waitersPending: number;
  channels: number;
  subscriptions: number;
  /** Partitions not yet read up to their end offset at start. */
  partitionsWarmingUp: number;
  ready: boolean;
}

export interface MarketDataFeed {
  /** Connects, reads the output topics' offsets, subscribes and starts consuming; throws MD_ERR_START. */
  start(): Promise<void>;
  /** The consumer runs and has read every output partition up to where it ended at start. */
  ready(): boolean;
  /** Resolves once ready; rejects MD_ERR_NOT_READY after `timeoutMs` (default 60,000), MD_ERR_STOPPED if it stops. */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Stops consuming; pending waits resolve with what they have. Safe to call twice. */
  stop(): Promise<void>;
  /** The latest depth snapshot of a symbol (its `u` is the REST snapshot's lastUpdateId). */
  depth(symbol: string): DepthSnapshot | undefined;
  /** The newest trades of a symbol, oldest first. */
  recentTrades(symbol: string, limit?: number): PublicTrade[];
  /** Symbols the feed has seen a DEPTH or a TRADE of. */
  symbols(): string[];
  /**
   * Listens to a hub channel (`trades:<SYMBOL>`, `depth:<SYMBOL>`, `orders:<userId>`); the listener gets each
   * message's JSON text. Returns the unsubscribe function.
   */
  subscribe(channel: string, listener: HubListener): () => void;
  /**
   * Waits for the outcome of the gateway's place command `place:<orderId>`. Call it BEFORE producing the command
   * (its events can arrive before the produce is acknowledged). Throws synchronously MD_ERR_TOO_MANY_WAITERS
   * (retriable: do not produce) or MD_ERR_STOPPED; the promise itself never rejects — see OrderTracker.
   */
  waitForOrder(orderId: string, timeoutMs: number, options?: WaitOptions): Promise<OrderOutcome | undefined>;
  /** Every shard's lifecycle state, symbols, last seq and commands/s, as its output topic tells them. */
  shards(): ShardActivityView[];
  stats(): MarketDataStats;
}

/** Messages the hub carries (the `text` listeners get is one of these as JSON). */
export interface DepthMessage {
  type: 'depth';
  channel: string;
  data: DepthSnapshot;
}
export interface TradeMessage {
  type: 'trade';
  channel: string;
  data: PublicTrade;
}
/** A user's own order event; TRADE is reduced to the user's side of it. */
export interface OrderMessage {
  type: 'order';
  channel: 'orders';
  event: EngineEvent['code'];
  shardId: string;
  seq: number;
  data: object;
}

type State = 'new' | 'starting' | 'running' | 'stopped';

function isPositiveInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

export function createMarketDataFeed({
  shards,
  consumer: givenConsumer,
  kafka,
  groupIdPrefix = 'shardex-gateway-md',
  warmupRecordsPerPartition = 5_000,
  tradesPerSymbol = 200,
  maxPendingWaiters = 10_000,
  logger = silentLogger,
  now = Date.now,
}: MarketDataFeedOptions): MarketDataFeed {
  if (!Array.isArray(shards) || shards.length === 0)
    throw new MarketDataError('MD_ERR_CONFIG', 'shards must list at least one shard');
  const topics = shards.map((s) => s.kafkaOutputTopic);
  if (new Set(topics).size !== topics.length)
    throw new MarketDataError('MD_ERR_CONFIG', `an output topic is listed twice: ${topics.join(', ')}`);
  for (const [name, value] of Object.entries({ warmupRecordsPerPartition, tradesPerSymbol, maxPendingWaiters })) {
    if (!isPositiveInteger(value))
      throw new MarketDataError('MD_ERR_CONFIG', `${name} must be a positive integer, got ${String(value)}`);
  }
  if (!givenConsumer && !kafka)
    throw new MarketDataError('MD_ERR_CONFIG', 'pass either a consumer or the kafka options to create one');
  const consumer: EventConsumerPort =
    givenConsumer ??
    createKafkaConsumer({
      ...(kafka as NonNullable<typeof kafka>),
      groupId: `${groupIdPrefix}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    });

  const state = new MarketState({ tradesPerSymbol });
  const tracker = new OrderTracker({ maxPendingWaiters });
  const activity = new ShardActivity({ shardIds: shards.map((s) => s.shardId) });
  const hub: SubscriptionHub = createSubscriptionHub({
    onListenerError: (err, channel) => logger.warn({ err, channel }, 'a market-data listener threw'),
  });

  let lifecycle: State = 'new';
  /** Per `topic#partition`: where the warm-up starts, where history ends (offset at start), and where we are. */
  const startAt = new Map<string, bigint>();
  const liveFrom = new Map<string, bigint>();
  const position = new Map<string, bigint>();
  const warmingUp = new Set<string>();
  /** Per `topic#partition|shardId`: highest seq taken. */
  const highSeq = new Map<string, number>();
  const counters = { events: 0, duplicates: 0, malformed: 0 };
  const readyWaiters = new Set<{ resolve(): void; reject(err: Error): void }>();

  const partitionKey = (topic: string, partition: number) => `${topic}#${partition}`;
  const isReady = () => lifecycle === 'running' && warmingUp.size === 0 && consumer.status().running;

  function settleReadyWaiters(): void {
    if (readyWaiters.size === 0) return;
    if (isReady()) for (const w of [...readyWaiters]) w.resolve();
    else if (lifecycle === 'stopped') {
      for (const w of [...readyWaiters]) w.reject(new MarketDataError('MD_ERR_STOPPED', 'the feed stopped'));
    }
  }

  function noteMalformed(where: object, message: string): void {
    counters.malformed++;
    // The first one and then every 1,000th: a poisoned topic must not flood the log.
    if (counters.malformed % 1_000 === 1) logger.warn({ ...where, malformed: counters.malformed }, message);
  }

  function publishOrderEvent(userId: string | undefined, e: EngineEvent, data: object): void {
    if (typeof userId !== 'string') return;
    hub.publish(ordersChannel(userId), (): OrderMessage => ({
      type: 'order',
      channel: 'orders',
      event: e.code,
      shardId: e.shardId,
      seq: e.seq,
      data,
    }));
  }

  /** State, waiters and subscribers for one de-duplicated event. */
  function apply(key: string, e: EngineEvent, live: boolean): void {
    tracker.onEvent(key, e);
    switch (e.code) {
      case 'DEPTH': {
        const snapshot = state.applyDepth(e);
        if (!snapshot) return;
        const channel = depthChannel(snapshot.symbol);
        // Published during warm-up too: each message is a full snapshot, and U/u stay continuous for a subscriber.
        hub.publish(channel, (): DepthMessage => ({ type: 'depth', channel, data: snapshot }));
        return;
      }
      case 'TRADE': {
        const trade = state.addTrade(e);
        if (!trade || !live) return;
        const channel = tradesChannel(trade.symbol);
        hub.publish(channel, (): TradeMessage => ({ type: 'trade', channel, data: trade }));
        const p = e.payload;
        const makerSide = p.takerSide === 'BUY' ? 'SELL' : 'BUY';
        const fill = { tradeId: p.tradeId, symbol: p.symbol, price: p.price, quantity: p.quantity };
        publishOrderEvent(p.takerUserId, e, {
          ...fill,
          orderId: p.takerOrderId,
          side: p.takerSide,
          liquidity: 'TAKER',
        });
        publishOrderEvent(p.makerUserId, e, { ...fill, orderId: p.makerOrderId, side: makerSide, liquidity: 'MAKER' });
        return;
      }
      case 'ORDER_ACCEPTED':
      case 'ORDER_REJECTED':
      case 'ORDER_UPDATED':
      case 'ORDER_FILLED':
      case 'ORDER_CANCELED':
      case 'ORDER_EXPIRED':
        if (live) publishOrderEvent(e.payload.userId, e, e.payload);
        return;
      default:
        return; // ENGINE_STATE
    }
  }

  function take(key: string, m: ConsumedMessage): void {
    const decoded = decodeEvent(m);
    if (!decoded.ok) {
      noteMalformed({ topic: m.topic, partition: m.partition, offset: m.offset, code: decoded.code }, decoded.message);
      return;
    }
    const e = decoded.value;
    const seqKey = `${key}|${e.shardId}`;
    const high = highSeq.get(seqKey);
    if (high !== undefined && e.seq <= high) {
      counters.duplicates++;
      return;
    }
    highSeq.set(seqKey, e.seq);
    counters.events++;
    const live = BigInt(m.offset) >= (liveFrom.get(key) ?? 0n);
    activity.onEvent(key, e, live, now());
    try {
      apply(key, e, live);
    } catch (err) {
      // The codec checks the envelope only; a payload our engine would never write must cost one event, not the
      // feed (this is a read-only cache: nothing durable depends on it, and the next DEPTH repairs the book).
      noteMalformed({ err, topic: m.topic, partition: m.partition, offset: m.offset }, 'an event could not be applied');
    }
  }

  async function handleBatch(messages: ConsumedMessage[], control: BatchControl): Promise<string | undefined> {
    const first = messages[0];
    if (!first || lifecycle === 'stopped') return undefined;
    const key = partitionKey(first.topic, first.partition);
    let last: string | undefined;
    for (const m of messages) {
      // A rebalance or seek made the batch stale: stop; the rejoin seeks back to `position`.
      if (!control.shouldContinue()) break;
      take(key, m);
      last = m.offset;
    }
    if (last === undefined) return undefined;
    const next = BigInt(last) + 1n;
    position.set(key, next);
    const complete = last === messages[messages.length - 1]?.offset;
    const atTail = control.highWatermark === undefined || next >= BigInt(control.highWatermark);
    tracker.onBatchEnd(key, complete && atTail);
    if (warmingUp.has(key) && next >= (liveFrom.get(key) ?? 0n)) {
      warmingUp.delete(key);
      if (warmingUp.size === 0) logger.info({ topics }, 'market data caught up with the output topics');
      settleReadyWaiters();
    }
    return last;
  }

  /** Every (re)join: kafkajs forgets seeks, and this group has no committed offsets, so position every partition. */
  function onAssigned(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        const at = position.get(key) ?? startAt.get(key);
        // A partition unknown at start (added since) has no position: kafkajs reads it from its beginning.
        if (at !== undefined) consumer.seek(topic, partition, at.toString());
      }
    }
  }

  function onCrash(err: Error, willRestart: boolean): void {
    if (willRestart) {
      logger.warn({ err }, 'market-data consumer crashed; kafkajs restarts it (positions re-applied on join)');
      return;
    }
    logger.error({ err }, 'market-data consumer crashed for good; the feed is stopped');
    lifecycle = 'stopped';
    tracker.releaseAll();
    settleReadyWaiters();
  }

  async function readOffsets(): Promise<void> {
    for (const topic of topics) {
      const [low, high] = await Promise.all([consumer.earliestOffsets(topic), consumer.latestOffsets(topic)]);
      for (const [partition, end] of high) {
        const key = partitionKey(topic, partition);
        const endAt = BigInt(end);
        const earliest = BigInt(low.get(partition) ?? '0');
        const from = endAt - BigInt(warmupRecordsPerPartition);
        startAt.set(key, from > earliest ? from : earliest);
        liveFrom.set(key, endAt);
        if (endAt > (startAt.get(key) ?? endAt)) warmingUp.add(key);
      }
    }
  }

  let disconnecting: Promise<void> | undefined;
  const disconnectOnce = (): Promise<void> => (disconnecting ??= consumer.disconnect());

  return {
    async start() {
      if (lifecycle !== 'new') throw new MarketDataError('MD_ERR_START', `start() called when ${lifecycle}`);
      lifecycle = 'starting';
      const step = async (what: string, run: () => Promise<void>) => {
        try {
          await run();
        } catch (cause) {
          lifecycle = 'stopped';
          // The start failure is what the caller needs to see, not a failure to disconnect after it.
          await disconnectOnce().catch(() => undefined);
          throw new MarketDataError('MD_ERR_START', `${what} (${topics.join(', ')}): ${(cause as Error).message}`, {
            cause,
          });
        }
        if (lifecycle === 'stopped') throw new MarketDataError('MD_ERR_STOPPED', 'stop() was called during start()');
      };
      await step('connecting', () => consumer.connect());
      await step('reading the offsets of', readOffsets);
      await step('subscribing to', () => consumer.subscribe(topics));
      await step('running the consumer of', () => consumer.run(handleBatch, { onAssigned, onCrash }));
      lifecycle = 'running';
      logger.info(
        { topics, partitions: startAt.size, warmingUp: warmingUp.size },
        'market-data feed started; reading the tail of the output topics',
      );
      settleReadyWaiters();
    },
    ready: isReady,
    whenReady(timeoutMs = 60_000) {
      if (isReady()) return Promise.resolve();
      if (lifecycle === 'stopped') return Promise.reject(new MarketDataError('MD_ERR_STOPPED', 'the feed stopped'));
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve: () => {
            clearTimeout(timer);
            readyWaiters.delete(waiter);
            resolve();
          },
          reject: (err: Error) => {
            clearTimeout(timer);
            readyWaiters.delete(waiter);
            reject(err);
          },
        };
        const timer = setTimeout(
          () =>
            waiter.reject(
              new MarketDataError(
                'MD_ERR_NOT_READY',
                `${warmingUp.size} output partition(s) still warming up after ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
        readyWaiters.add(waiter);
      });
    },
    async stop() {
      lifecycle = 'stopped';
      tracker.releaseAll();
      settleReadyWaiters();
      await disconnectOnce();
    },
    depth: (symbol) => state.depth(symbol),
    recentTrades: (symbol, limit) => state.recentTrades(symbol, limit),
    symbols: () => state.symbols(),
    subscribe: (channel, listener) => hub.subscribe(channel, listener),
    waitForOrder(orderId, timeoutMs, options) {
      if (lifecycle === 'stopped') throw new MarketDataError('MD_ERR_STOPPED', 'the feed is stopped');
      return tracker.wait(orderId, timeoutMs, options);
    },
    shards: () => activity.view(now()),
    stats: () => ({
      ...counters,
      waitersPending: tracker.pending,
      ...hub.stats(),
      partitionsWarmingUp: warmingUp.size,
      ready: isReady(),
    }),
  };
}
