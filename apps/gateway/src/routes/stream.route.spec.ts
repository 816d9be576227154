import type { AddressInfo } from 'node:net';
import { createShardMap } from '@shardex/order-router';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { createMarketDataFeed, type MarketDataFeed } from '../market-data';
import { FakeEventConsumer, ShardEvents } from '../market-data/testing';
import { STREAM_CLOSE_CODES, STREAM_ERROR_CODES, streamRoutes, type StreamRoutesOptions } from './stream.route';

// A real server on an ephemeral port and real WebSocket clients; the feed reads a fake consumer, so the test says
// exactly which shard events exist.

const OUT = 'shard-1-output';
const shards = createShardMap({ shards: [{ shardId: 'shard-1' }] }).shards;
type Msg = Record<string, unknown> & { type?: string; code?: string; channel?: string };

/** A client that records what it receives and can wait for a message or for the close. */
class Client {
  readonly ws: WebSocket;
  private readonly inbox: Msg[] = [];
  private waiting: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => {
      this.inbox.push(JSON.parse(data.toString()) as Msg);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (in order), or the first remaining one matching `match`. */
  async next(match: (m: Msg) => boolean = () => true, timeoutMs = 3_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Msg;
      if (Date.now() > deadline) throw new Error(`no matching message; inbox: ${JSON.stringify(this.inbox)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends and returns the next message (the answer, when nothing else is in flight). */
  async ask(message: unknown): Promise<Msg> {
    this.send(message);
    return this.next();
  }

  /** Whatever arrived and was not taken yet. */
  drain(): Msg[] {
    return this.inbox.splice(0);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  }
}

const principals: Record<string, { keyId: string; userId: string }> = {
  'key-u1': { keyId: 'k1', userId: 'u1' },
  'key-u2': { keyId: 'k2', userId: 'u2' },
};
const verifier = {
  calls: 0,
  async verify(apiKey: unknown) {
    this.calls++;
    if (apiKey === 'key-down') throw new Error('ECONNREFUSED mysql');
    if (apiKey === 'key-slow') {
      await new Promise((r) => setTimeout(r, 100));
      return principals['key-u1'];
    }
    if (apiKey === 'key-never') return new Promise<undefined>(() => undefined);
    return typeof apiKey === 'string' ? principals[apiKey] : undefined;
  },
};

describe('GET /v1/stream', () => {
  let consumer: FakeEventConsumer;
  let events: ShardEvents;
  let feed: MarketDataFeed;
  let app: FastifyInstance;
  let url: string;
  const clients: Client[] = [];

  async function serve(options: Partial<StreamRoutesOptions> = {}): Promise<void> {
    app = Fastify({ logger: false });
    await app.register(streamRoutes, {
      feed,
      verifier,
      isKnownSymbol: (s) => s !== 'DELISTED-USDT',
      ...options,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/stream`;
  }

  async function connect(options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<Client> {
    const c = new Client(url, options);
    clients.push(c);
    await c.opened;
    return c;
  }

  async function publish(...list: Parameters<FakeEventConsumer['append']>[2][]): Promise<void> {
    for (const e of list) consumer.append(OUT, 0, e);
    await consumer.drain();
  }

  beforeEach(async () => {
    consumer = new FakeEventConsumer({ [OUT]: 1 });
    events = new ShardEvents('shard-1');
    feed = createMarketDataFeed({ shards, consumer });
    await feed.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await app?.close();
    await feed.stop();
  });

  it('sends the current depth right after the subscribe answer, then trades and depth updates', async () => {
    await publish(events.depth('BTC-USDT', [['100.00', '1.000']], [['101.00', '2.000']]));
    await serve();
    const c = await connect();
    expect(await c.ask({ op: 'subscribe', args: ['trades:BTC-USDT', 'depth:BTC-USDT'], id: 7 })).toEqual({
      type: 'subscribed',
      id: 7,
      channels: ['trades:BTC-USDT', 'depth:BTC-USDT'],
    });
    expect(await c.next()).toEqual({
      type: 'depth',
      channel: 'depth:BTC-USDT',
      data: {
        symbol: 'BTC-USDT',
        shardId: 'shard-1',
        bids: [['100.00', '1.000']],
        asks: [['101.00', '2.000']],
        U: 1,
        u: 1,
      },
    });
    await publish(
      events.accepted({ orderId: 'o1' }),
      events.trade({ takerOrderId: 'o1', makerOrderId: 'm1', price: '101.00', quantity: '1.000' }),
      events.depth('BTC-USDT', [['100.00', '1.000']], [['101.00', '1.000']]),
    );
    expect(await c.next()).toMatchObject({ type: 'trade', channel: 'trades:BTC-USDT', data: { price: '101.00' } });
    expect(await c.next()).toMatchObject({ type: 'depth', data: { U: 2, u: 4, asks: [['101.00', '1.000']] } });
  });

  it('sends no depth on subscribe when none is known yet; the first update is complete anyway', async () => {
    await serve();
    const c = await connect();
    expect(await c.ask({ op: 'subscribe', args: ['depth:ETH-USDT'] })).toMatchObject({ type: 'subscribed' });
    await publish(events.depth('ETH-USDT', [['1.00', '1.000']]));
    expect(await c.next()).toMatchObject({ type: 'depth', data: { symbol: 'ETH-USDT', U: 1, u: 1 } });
  });

  it('needs a login for orders, then sends the user their own order events only', async () => {
    await serve();
    const c = await connect();
    expect(await c.ask({ op: 'subscribe', args: ['orders'], id: 'a' })).toMatchObject({
      type: 'error',
      id: 'a',
      code: 'UNAUTHENTICATED',
    });
    expect(await c.ask({ op: 'login', apiKey: 'nope' })).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
    expect(await c.ask({ op: 'login', apiKey: 'key-u1', id: 1 })).toEqual({
      type: 'authenticated',
      id: 1,
      userId: 'u1',
    });
    expect(await c.ask({ op: 'subscribe', args: ['orders'] })).toEqual({ type: 'subscribed', channels: ['orders'] });
    await publish(
      events.accepted({ orderId: 'theirs', userId: 'u2' }),
      events.accepted({ orderId: 'mine', userId: 'u1' }),
      events.trade({ takerOrderId: 'mine', takerUserId: 'u1', makerOrderId: 'theirs', makerUserId: 'u2' }),
    );
    expect(await c.next()).toMatchObject({
      type: 'order',
      channel: 'orders',
      event: 'ORDER_ACCEPTED',
      data: { orderId: 'mine' },
    });
    expect(await c.next()).toMatchObject({ event: 'TRADE', data: { orderId: 'mine', liquidity: 'TAKER' } });
    // Logging in as someone else on the same connection is refused.
    expect(await c.ask({ op: 'login', apiKey: 'key-u2' })).toMatchObject({ code: 'ALREADY_AUTHENTICATED' });
    expect(await c.ask({ op: 'login', apiKey: 'key-u1' })).toMatchObject({ type: 'authenticated' });
    expect(c.drain()).toEqual([]);
  });

  it('takes the x-api-key header of the upgrade request; a bad one is an error message, not a refusal', async () => {
    await serve();
    const good = await connect({ headers: { 'x-api-key': 'key-u2' } });
    expect(await good.next()).toEqual({ type: 'authenticated', userId: 'u2' });
    expect(await good.ask({ op: 'subscribe', args: ['orders'] })).toMatchObject({ type: 'subscribed' });

    const bad = await connect({ headers: { 'x-api-key': 'wrong' } });
    expect(await bad.next()).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
    expect(await bad.ask({ op: 'subscribe', args: ['trades:BTC-USDT'] })).toMatchObject({ type: 'subscribed' });
  });

  it('answers AUTH_UNAVAILABLE when the key store is down, and the connection stays usable', async () => {
    await serve();
    const c = await connect();
    expect(await c.ask({ op: 'login', apiKey: 'key-down', id: 3 })).toMatchObject({
      type: 'error',
      id: 3,
      code: 'AUTH_UNAVAILABLE',
    });
    expect(await c.ask({ op: 'ping', id: 4 })).toEqual({ type: 'pong', id: 4 });
  });

  it('handles messages in order: a subscribe sent right behind a slow login waits for it', async () => {
    await serve();
    const c = await connect();
    c.send({ op: 'login', apiKey: 'key-slow' });
    c.send({ op: 'subscribe', args: ['orders'] });
    expect(await c.next()).toMatchObject({ type: 'authenticated' });
    expect(await c.next()).toMatchObject({ type: 'subscribed', channels: ['orders'] });
  });

  it('answers bad messages with coded errors and keeps the connection', async () => {
    await serve();
    const c = await connect();
    const cases: Array<[unknown, string]> = [
      ['{nope', 'INVALID_JSON'],
      ['[1,2]', 'INVALID_JSON'],
      ['"hello"', 'INVALID_JSON'],
      [{ op: 'dance' }, 'UNKNOWN_OP'],
      [{ args: [] }, 'UNKNOWN_OP'],
      ['{"op":{"toString":1}}', 'UNKNOWN_OP'],
      [{ op: 'subscribe' }, 'INVALID_MESSAGE'],
      [{ op: 'subscribe', args: [] }, 'INVALID_MESSAGE'],
      [{ op: 'subscribe', args: [42] }, 'INVALID_MESSAGE'],
      [{ op: 'subscribe', args: ['trades:BTC-USDT'], id: { x: 1 } }, 'INVALID_MESSAGE'],
      [{ op: 'login', apiKey: 12 }, 'INVALID_MESSAGE'],
      [{ op: 'subscribe', args: ['candles:BTC-USDT'] }, 'UNKNOWN_CHANNEL'],
      [{ op: 'subscribe', args: ['trades:btc-usdt'] }, 'UNKNOWN_CHANNEL'],
      [{ op: 'subscribe', args: ['trades'] }, 'UNKNOWN_CHANNEL'],
      [{ op: 'subscribe', args: ['orders:u2'] }, 'UNKNOWN_CHANNEL'],
      [{ op: 'subscribe', args: ['depth:DELISTED-USDT'] }, 'UNKNOWN_CHANNEL'],
      [{ op: 'unsubscribe', args: ['nope'] }, 'UNKNOWN_CHANNEL'],
    ];
    for (const [message, code] of cases) {
      expect({ message, answer: await c.ask(message) }).toMatchObject({ answer: { type: 'error', code } });
    }
    c.ws.send(Buffer.from('{"op":"ping"}'), { binary: true });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'INVALID_JSON' });
    // A refused subscribe subscribed nothing, not even its good channels.
    expect(await c.ask({ op: 'subscribe', args: ['trades:BTC-USDT', 'trades:bad'] })).toMatchObject({
      code: 'UNKNOWN_CHANNEL',
    });
    expect(feed.stats().subscriptions).toBe(0);
    expect(await c.ask({ op: 'ping' })).toEqual({ type: 'pong' });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('caps subscriptions per connection, all or nothing; re-subscribing is free; unsubscribe stops delivery', async () => {
    await serve({ maxSubscriptions: 2 });
    const c = await connect();
    expect(await c.ask({ op: 'subscribe', args: ['trades:A', 'trades:B', 'trades:C'] })).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
    });
    expect(await c.ask({ op: 'subscribe', args: ['trades:A', 'trades:BTC-USDT'] })).toMatchObject({
      type: 'subscribed',
    });
    expect(await c.ask({ op: 'subscribe', args: ['trades:A'] })).toMatchObject({ type: 'subscribed' });
    expect(await c.ask({ op: 'subscribe', args: ['trades:C'] })).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(feed.stats().subscriptions).toBe(2);
    expect(await c.ask({ op: 'unsubscribe', args: ['trades:BTC-USDT', 'trades:Z'], id: 9 })).toEqual({
      type: 'unsubscribed',
      id: 9,
      channels: ['trades:BTC-USDT', 'trades:Z'],
    });
    expect(feed.stats().subscriptions).toBe(1);
    await publish(events.trade({ takerOrderId: 'x', makerOrderId: 'y' }));
    expect(await c.ask({ op: 'ping' })).toEqual({ type: 'pong' }); // no trade came before the pong
  });

  it('drops a connection’s subscriptions when it goes away', async () => {
    await serve();
    const c = await connect();
    await c.ask({ op: 'subscribe', args: ['trades:BTC-USDT', 'depth:BTC-USDT'] });
    expect(feed.stats().subscriptions).toBe(2);
    c.ws.close();
    await c.closed;
    await until(() => feed.stats().subscriptions === 0);
  });

  it('cuts a client that answers no pings, and keeps one that does', async () => {
    await serve({ heartbeatMs: 150 });
    const deaf = await connect({ autoPong: false });
    const fine = await connect();
    await deaf.ask({ op: 'subscribe', args: ['trades:BTC-USDT'] });
    const { code } = await deaf.closed;
    expect(code).toBe(1006); // terminated: no close frame for a peer that is presumed gone
    await new Promise((r) => setTimeout(r, 500)); // several heartbeats
    expect(fine.ws.readyState).toBe(WebSocket.OPEN);
    expect(feed.stats().subscriptions).toBe(0);
  });

  it('closes a slow reader with SLOW_CONSUMER instead of buffering for it', async () => {
    await serve({ maxBufferedBytes: 64 * 1024 });
    const slow = await connect();
    await slow.ask({ op: 'subscribe', args: ['depth:BTC-USDT'] });
    slow.ws.pause(); // stops reading: the kernel buffers fill, then the server's
    const levels: Array<[string, string]> = Array.from({ length: 1_000 }, (_, i) => [`${1000 + i}.00`, '1.000']);
    for (let round = 0; round < 2_000 && feed.stats().subscriptions > 0; round++) {
      await publish(events.depth('BTC-USDT', levels, levels));
    }
    expect(feed.stats().subscriptions).toBe(0);
    slow.ws.resume();
    const { code, reason } = await slow.closed;
    expect({ code, reason }).toEqual({ code: STREAM_CLOSE_CODES.SLOW_CONSUMER, reason: 'slow consumer' });
  });

  it('closes a client that floods messages while a login is pending', async () => {
    await serve({ maxPendingMessages: 3 });
    const c = await connect();
    c.send({ op: 'login', apiKey: 'key-never' });
    for (let i = 0; i < 5; i++) c.send({ op: 'ping' });
    expect((await c.closed).code).toBe(STREAM_CLOSE_CODES.TOO_MANY_PENDING);
  });

  it('tells clients it is going away when the server closes', async () => {
    await serve();
    const c = await connect();
    await c.ask({ op: 'subscribe', args: ['trades:BTC-USDT'] });
    await app.close();
    expect((await c.closed).code).toBe(STREAM_CLOSE_CODES.GOING_AWAY);
    expect(feed.stats().subscriptions).toBe(0);
  });

  it('uses an @fastify/websocket the app registered already', async () => {
    app = Fastify({ logger: false });
    await app.register(import('@fastify/websocket'));
    await app.register(streamRoutes, { feed, verifier });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/stream`;
    const c = await connect();
    expect(await c.ask({ op: 'ping' })).toEqual({ type: 'pong' });
    // That registration allows large frames; the stream still holds messages to maxMessageBytes (default 4 KiB).
    expect(await c.ask({ op: 'ping', pad: 'x'.repeat(5_000) })).toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await c.ask({ op: 'ping' })).toEqual({ type: 'pong' });
  });

  it('closes with 1009 on a frame above maxMessageBytes when it registered @fastify/websocket itself', async () => {
    await serve({ maxMessageBytes: 256 });
    const c = await connect();
    c.send({ op: 'ping', pad: 'x'.repeat(300) });
    expect((await c.closed).code).toBe(1009);
  });

  it('refuses bad options at registration', async () => {
    app = Fastify({ logger: false });
    await expect(app.register(streamRoutes, { feed, verifier, heartbeatMs: 0 })).rejects.toThrow(/STREAM_ERR_CONFIG/);
  });

  it('documents every error code', () => {
    for (const doc of Object.values(STREAM_ERROR_CODES)) expect(doc.length).toBeGreaterThan(20);
  });
});

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
