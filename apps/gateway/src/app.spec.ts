import type { FastifyInstance } from 'fastify';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AppConfig, buildApp, type GatewayDeps } from './app';
import { createAcceptedOrdersWindow } from './ops/accepted-orders';
import { CONSOLE_NOT_BUILT } from './routes/console.route';
import { API_ERRORS } from './errors';
import type { StoredOrder } from './ports';
import { fakeDeps, fakeQueries, KEYS, TEST_CONFIG } from './testing/fakes';

const alice = { 'x-api-key': KEYS.alice.key };
const bob = { 'x-api-key': KEYS.bob.key };
const limitOrder = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '65000.01', quantity: '0.5' };

function order(extra: Partial<StoredOrder> = {}): StoredOrder {
  return {
    orderId: '01JORDER00000000000000000A',
    userId: 'alice',
    symbol: 'BTC-USDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    price: '65000',
    quantity: '1',
    filledQuantity: '0',
    status: 'NEW',
    postOnly: false,
    reason: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...extra,
  };
}

let app: FastifyInstance;
let deps: ReturnType<typeof fakeDeps>;

async function start(overrides: Partial<GatewayDeps> = {}, config: Partial<AppConfig> = {}) {
  deps = fakeDeps(overrides);
  app = buildApp({ ...TEST_CONFIG, ...config }, deps);
  await app.ready();
}

afterEach(async () => {
  await app?.close();
});

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 1));
}

function expectError(res: { statusCode: number; json(): unknown }, code: keyof typeof API_ERRORS) {
  expect(res.json()).toMatchObject({ statusCode: API_ERRORS[code].statusCode, code });
  expect(res.statusCode).toBe(API_ERRORS[code].statusCode);
}

describe('operations', () => {
  beforeEach(() => start());

  it('answers /health and /ready with every check', async () => {
    expect((await app.inject('/health')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { kafka: 'ok', instruments: 'ok' } });
  });

  it('is not ready while Kafka fails or no instruments are loaded', async () => {
    deps.sender.fail(new Error('broker down'));
    const res = await app.inject('/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.kafka).toMatch(/not connected|failed/);
  });

  it('counts requests by route pattern in /metrics', async () => {
    await app.inject({ method: 'GET', url: '/v1/orders/01JORDER00000000000000000A', headers: alice });
    const text = (await app.inject('/metrics')).body;
    expect(text).toMatch(
      /shardex_gateway_http_requests_total\{route="\/v1\/orders\/:orderId",method="GET",status="404"\} 1/,
    );
    expect(text).toContain('shardex_gateway_produces_in_flight');
  });

  it('serves an OpenAPI 3 document of every route with the error catalogue', async () => {
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/v1/orders', '/v1/orders/batch', '/v1/orders/{orderId}', '/v1/fills', '/v1/markets'])
      expect(doc.paths).toHaveProperty([path]);
    for (const code of Object.keys(API_ERRORS)) expect(doc.info.description).toContain(`\`${code}\``);
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key' });
  });

  it('answers an unknown route with the catalogue’s 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: 'no route GET /nope',
    });
  });
});

describe('access', () => {
  beforeEach(() => start({}, { rateLimitMax: 2 }));

  it('refuses private routes without a key or with an unknown one, before reading the body', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/orders', payload: limitOrder });
    expectError(none, 'UNAUTHENTICATED');
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'x-api-key': 'ak_x.y' },
      payload: '{not json',
    });
    expectError(wrong, 'UNAUTHENTICATED');
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('answers 503 with retry-after when keys cannot be checked', async () => {
    deps.verifier.broken = true;
    const res = await app.inject({ method: 'GET', url: '/v1/orders', headers: alice });
    expectError(res, 'UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('limits requests per key with 429, retry-after and x-ratelimit headers', async () => {
    const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/v1/orders', headers });
    const first = await get(alice);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    await get(alice);
    const third = await get(alice);
    expectError(third, 'RATE_LIMITED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get(bob)).statusCode).toBe(200); // another key has its own budget
  });

  it('serves market data without a key, limited per client address', async () => {
    await app.close();
    await start({}, { publicRateLimitMax: 2 });
    expect((await app.inject('/v1/markets')).statusCode).toBe(200);
    await app.inject('/v1/markets');
    expectError(await app.inject('/v1/markets'), 'RATE_LIMITED');
    expect((await app.inject('/health')).statusCode).toBe(200); // operations are never limited
  });
});

describe('POST /v1/orders', () => {
  beforeEach(() => start());
  const post = (payload: unknown, headers: Record<string, string> = alice) =>
    app.inject({ method: 'POST', url: '/v1/orders', headers, payload: payload as object });

  it('answers 202 once Kafka has the PLACE_ORDER command', async () => {
    const res = await post({ ...limitOrder, clientOrderId: 'c-1' });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toEqual({
      orderId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      clientOrderId: 'c-1',
      symbol: 'BTC-USDT',
      shardId: 'shard-1',
      status: 'accepted',
    });
    expect(deps.sender.sent).toEqual([
      {
        commandId: `place:${body.orderId}`,
        code: 'PLACE_ORDER',
        issuedAt: 1_700_000_000_000,
        payload: {
          orderId: body.orderId,
          userId: 'alice',
          symbol: 'BTC-USDT',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          price: '65000.01',
          quantity: '0.5',
        },
      },
    ]);
  });

  it.each([
    ['a missing quantity', { ...limitOrder, quantity: undefined }, 'VALIDATION_FAILED'],
    ['an unknown field', { ...limitOrder, timeInForse: 'IOC' }, 'VALIDATION_FAILED'],
    ['a numeric price', { ...limitOrder, price: 65000 }, 'VALIDATION_FAILED'],
    ['a lower-case symbol', { ...limitOrder, symbol: 'btc-usdt' }, 'VALIDATION_FAILED'],
    ['an unknown symbol', { ...limitOrder, symbol: 'DOGE-USDT' }, 'UNKNOWN_SYMBOL'],
    ['a price off the tick', { ...limitOrder, price: '65000.001' }, 'INVALID_PRICE'],
    ['a quantity above max', { ...limitOrder, quantity: '101' }, 'INVALID_QUANTITY'],
    ['a market order with a price', { ...limitOrder, type: 'market' }, 'INVALID_ORDER'],
    ['a limit order without a price', { ...limitOrder, price: undefined }, 'INVALID_ORDER'],
  ] as const)('refuses %s with its code and sends nothing', async (_what, body, code) => {
    expectError(await post(body), code);
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('refuses malformed JSON, an empty body, a wrong media type and a body over the limit', async () => {
    const raw = (payload: string, type = 'application/json') =>
      app.inject({ method: 'POST', url: '/v1/orders', headers: { ...alice, 'content-type': type }, payload });
    expectError(await raw('{"symbol":'), 'INVALID_JSON');
    expectError(await raw(''), 'EMPTY_BODY');
    expectError(await raw('symbol=BTC', 'text/plain'), 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await raw(JSON.stringify({ ...limitOrder, clientOrderId: 'x'.repeat(70_000) })), 'PAYLOAD_TOO_LARGE');
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('answers 503 promptly when Kafka does not take the order, never 202', async () => {
    deps.sender.fail(new Error('KAFKA_ERR_SEND: broker down'));
    const res = await post(limitOrder);
    expectError(res, 'UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('says whether an order may be in Kafka when the produce failed', async () => {
    // Refused unsent (the producer's open circuit): nothing was placed, no orderId to chase.
    deps.sender.fail(
      Object.assign(new Error('ROUTER_ERR_SEND'), {
        cause: Object.assign(new Error('x'), { code: 'KAFKA_ERR_NOT_SENT' }),
      }),
    );
    const unsent = await post(limitOrder);
    expectError(unsent, 'UNAVAILABLE');
    expect(unsent.json().orderId).toBeUndefined();
    // Failed after sending: it may be placed; the answer carries the orderId.
    deps.sender.fail(new Error('KAFKA_ERR_SEND: request timed out'));
    const maybe = await post(limitOrder);
    expectError(maybe, 'UNAVAILABLE');
    expect(maybe.json().orderId).toMatch(/^[0-9A-Z]{26}$/);
    expect(maybe.json().message).toMatch(/may or may not be placed/);
  });

  it('answers 503 with the orderId when Kafka does not answer within the produce timeout', async () => {
    deps.sender.hang(true);
    const t0 = Date.now();
    const res = await post(limitOrder);
    expectError(res, 'UNAVAILABLE');
    expect(res.json().orderId).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(5_000); // TEST_CONFIG.produceTimeoutMs is 1 s
  });

  it('refuses orders while the clock guard says so, and is not ready', async () => {
    await app.close();
    await start({ refuseOrders: () => 'the clock is 9000 ms ahead' });
    const res = await post(limitOrder);
    expectError(res, 'UNAVAILABLE');
    expect(res.json().message).toMatch(/clock/);
    expect(deps.sender.sent).toHaveLength(0);
    expect((await app.inject('/ready')).json().checks.clock).toMatch(/clock/);
  });

  it('gives a retried clientOrderId the original orderId and sends it once', async () => {
    const first = (await post({ ...limitOrder, clientOrderId: 'retry-me' })).json();
    const again = await post({ ...limitOrder, clientOrderId: 'retry-me', quantity: '2' });
    expect(again.statusCode).toBe(202);
    expect(again.json().orderId).toBe(first.orderId);
    expect(deps.sender.sent).toHaveLength(1);
    const bobs = (await post({ ...limitOrder, clientOrderId: 'retry-me' }, bob)).json();
    expect(bobs.orderId).not.toBe(first.orderId); // clientOrderIds are per user
    expect(deps.sender.sent).toHaveLength(2);
  });

  it('re-sends the stored command when the first attempt never reached Kafka', async () => {
    deps.sender.fail(new Error('broker down'));
    expectError(await post({ ...limitOrder, clientOrderId: 'flaky' }), 'UNAVAILABLE');
    expect(deps.clientOrders.rows.get('alice/flaky')?.state).toBe('pending');
    deps.sender.fail(null);
    const retry = await post({ ...limitOrder, clientOrderId: 'flaky', price: '1.00' });
    expect(retry.statusCode).toBe(202);
    const stored = deps.clientOrders.rows.get('alice/flaky');
    expect(retry.json().orderId).toBe(stored?.orderId);
    await new Promise((r) => setImmediate(r)); // marking it sent is not on the answer's path
    expect(stored?.state).toBe('sent');
    // The same command as reserved (same orderId and commandId, the original price): the shard de-duplicates it.
    expect(deps.sender.sent).toEqual([JSON.parse(stored?.command ?? '')]);
    expect(deps.sender.sent[0]?.payload).toMatchObject({ price: '65000.01' });
  });

  it('does not re-send an unconfirmed attempt older than the re-send window: it asks the shard’s table', async () => {
    let clock = 1_700_000_000_000;
    await app.close();
    await start({ now: () => clock });
    deps.sender.fail(new Error('broker down'));
    const first = await post({ ...limitOrder, clientOrderId: 'old' });
    const orderId = first.json().orderId as string;
    deps.sender.fail(null);
    clock += 31_000;
    const unconfirmed = await post({ ...limitOrder, clientOrderId: 'old' });
    expectError(unconfirmed, 'ORDER_UNCONFIRMED');
    expect(unconfirmed.json().orderId).toBe(orderId);
    expect(deps.sender.sent).toHaveLength(0);
    // The shard did take it after all (the failed produce had reached the broker): the retry is answered with it.
    (deps.queries as ReturnType<typeof fakeQueries>).add(order({ orderId, userId: 'alice' }));
    const found = await post({ ...limitOrder, clientOrderId: 'old' });
    expect(found.statusCode).toBe(202);
    expect(found.json().orderId).toBe(orderId);
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('answers a re-sent command that the shard calls a duplicate with the original order, not a rejection', async () => {
    deps.sender.fail(new Error('timed out after sending'));
    const first = await post({ ...limitOrder, clientOrderId: 'dup' });
    deps.sender.fail(null);
    const retry = post({ ...limitOrder, clientOrderId: 'dup', responseType: 'result' });
    await until(() => deps.feed.waiting.size > 0 && deps.sender.sent.length > 0);
    deps.feed.settle(first.json().orderId, {
      status: 'REJECTED',
      filledQuantity: '0',
      fills: [],
      rejection: { reason: 'DUPLICATE_COMMAND', message: 'applied before' },
    });
    const res = await retry;
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ orderId: first.json().orderId, clientOrderId: 'dup' });
  });

  it('answers 503 and sends nothing when the clientOrderId cannot be recorded', async () => {
    deps.clientOrders.fail(new Error('MySQL down'));
    expectError(await post({ ...limitOrder, clientOrderId: 'c' }), 'UNAVAILABLE');
    expect(deps.sender.sent).toHaveLength(0);
    expect((await post(limitOrder)).statusCode).toBe(202); // without a clientOrderId MySQL is not on the path
  });

  it('still answers 202 when Kafka took the order but marking it sent failed', async () => {
    const markSent = deps.clientOrders.markSent;
    deps.clientOrders.markSent = async () => {
      throw new Error('MySQL down');
    };
    expect((await post({ ...limitOrder, clientOrderId: 'm' })).statusCode).toBe(202);
    deps.clientOrders.markSent = markSent;
  });

  describe('responseType: "result"', () => {
    /** The order id the request is waiting for, once it waits (after its produce was acknowledged). */
    async function waitingOrder(): Promise<string> {
      for (;;) {
        const [orderId] = [...deps.feed.waiting.keys()];
        if (orderId !== undefined && deps.sender.sent.length > 0) return orderId;
        await new Promise((r) => setTimeout(r, 1));
      }
    }

    it('answers 201 with the status and fills the shard reported', async () => {
      const res = post({ ...limitOrder, responseType: 'result' });
      const orderId = await waitingOrder();
      deps.feed.settle(orderId, {
        status: 'PARTIALLY_FILLED',
        filledQuantity: '0.2',
        fills: [{ tradeId: 'shard-1-7', price: '65000', quantity: '0.2', liquidity: 'taker' }],
      });
      const out = await res;
      expect(out.statusCode).toBe(201);
      expect(out.json()).toEqual({
        orderId,
        clientOrderId: null,
        symbol: 'BTC-USDT',
        shardId: 'shard-1',
        status: 'partially_filled',
        filledQuantity: '0.2',
        reason: null,
        fills: [
          {
            tradeId: 'shard-1-7',
            orderId,
            symbol: 'BTC-USDT',
            side: 'buy',
            price: '65000',
            quantity: '0.2',
            liquidity: 'taker',
          },
        ],
      });
    });

    it('answers a shard rejection with its code and the orderId', async () => {
      const res = post({ ...limitOrder, postOnly: true, responseType: 'result' });
      const orderId = await waitingOrder();
      deps.feed.settle(orderId, {
        status: 'REJECTED',
        filledQuantity: '0',
        fills: [],
        rejection: { reason: 'POST_ONLY_WOULD_TAKE', message: 'would trade' },
      });
      const out = await res;
      expectError(out, 'POST_ONLY_WOULD_TAKE');
      expect(out.json().orderId).toBe(orderId);
    });

    it('answers 202 status unknown when the shard does not answer in time', async () => {
      const res = await post({ ...limitOrder, responseType: 'result' });
      expect(res.statusCode).toBe(202);
      expect(res.json().status).toBe('unknown');
    });
  });
});

describe('POST /v1/orders/batch', () => {
  beforeEach(() => start());
  const batch = (orders: unknown[]) =>
    app.inject({ method: 'POST', url: '/v1/orders/batch', headers: alice, payload: { orders } });

  it('answers each order on its own, in request order', async () => {
    const res = await batch([
      { ...limitOrder, clientOrderId: 'b1' },
      { ...limitOrder, price: '1.001' },
      { ...limitOrder, symbol: 'ETH-USDT' },
    ]);
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(results.map((r: { statusCode: number }) => r.statusCode)).toEqual([202, 400, 202]);
    expect(results[0]).toMatchObject({ clientOrderId: 'b1', status: 'accepted', symbol: 'BTC-USDT' });
    expect(results[1]).toMatchObject({ code: 'INVALID_PRICE', error: 'Bad Request' });
    expect(deps.sender.sent.map((c) => c.payload.symbol)).toEqual(['BTC-USDT', 'ETH-USDT']);
  });

  it('refuses a clientOrderId repeated within one batch instead of answering two entries with one order', async () => {
    const { results } = (
      await batch([
        { ...limitOrder, clientOrderId: 'twice' },
        { ...limitOrder, side: 'sell', clientOrderId: 'twice' },
      ])
    ).json();
    expect(results[0]).toMatchObject({ statusCode: 202, clientOrderId: 'twice' });
    expect(results[1]).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(deps.sender.sent).toHaveLength(1);
  });

  it('refuses more than 20 orders, none, and responseType in an entry', async () => {
    expectError(await batch(Array.from({ length: 21 }, () => limitOrder)), 'VALIDATION_FAILED');
    expectError(await batch([]), 'VALIDATION_FAILED');
    expectError(await batch([{ ...limitOrder, responseType: 'result' }]), 'VALIDATION_FAILED');
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('reports 503 per order when Kafka fails', async () => {
    deps.sender.fail(new Error('down'));
    const { results } = (await batch([limitOrder, limitOrder])).json();
    expect(results).toEqual([
      expect.objectContaining({ statusCode: 503, code: 'UNAVAILABLE' }),
      expect.objectContaining({ statusCode: 503, code: 'UNAVAILABLE' }),
    ]);
  });
});

describe('cancels', () => {
  const del = (url: string, headers: Record<string, string> = alice) => app.inject({ method: 'DELETE', url, headers });

  it('cancels the caller’s open order by id with 202', async () => {
    await start({ queries: fakeQueries({ orders: [order()] }) });
    const res = await del('/v1/orders/01JORDER00000000000000000A');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      orderId: '01JORDER00000000000000000A',
      symbol: 'BTC-USDT',
      shardId: 'shard-1',
      status: 'cancel_requested',
    });
    expect(deps.sender.sent).toEqual([
      expect.objectContaining({
        code: 'CANCEL_ORDER',
        payload: { orderId: '01JORDER00000000000000000A', userId: 'alice', symbol: 'BTC-USDT' },
      }),
    ]);
  });

  it('answers 404, never 403, for another user’s order, and sends nothing', async () => {
    await start({ queries: fakeQueries({ orders: [order()] }) });
    expectError(await del('/v1/orders/01JORDER00000000000000000A', bob), 'NOT_FOUND');
    expectError(await del('/v1/orders/01JNOSUCHORDER0000000000AA'), 'NOT_FOUND');
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('answers 409 for an order that is no longer open', async () => {
    await start({ queries: fakeQueries({ orders: [order({ status: 'FILLED', filledQuantity: '1' })] }) });
    expectError(await del('/v1/orders/01JORDER00000000000000000A'), 'ORDER_NOT_OPEN');
  });

  it('cancels an order placed a moment ago that the shard has not stored yet', async () => {
    await start();
    const placed = (
      await app.inject({ method: 'POST', url: '/v1/orders', headers: alice, payload: limitOrder })
    ).json();
    expectError(await del(`/v1/orders/${placed.orderId}`, bob), 'NOT_FOUND');
    expect((await del(`/v1/orders/${placed.orderId}`)).statusCode).toBe(202);
  });

  it('cancels an order placed through another gateway by its clientOrderId reservation', async () => {
    await start();
    await deps.clientOrders.reserve({
      userId: 'alice',
      clientOrderId: 'elsewhere',
      orderId: '01JOTHERREPLICA00000000000',
      symbol: 'ETH-USDT',
      command: '{}',
      at: new Date(0),
    });
    expectError(await del('/v1/orders/01JOTHERREPLICA00000000000', bob), 'NOT_FOUND');
    const res = await del('/v1/orders/01JOTHERREPLICA00000000000');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ symbol: 'ETH-USDT' });
  });

  it('cancels by clientOrderId, only the caller’s own', async () => {
    await start();
    const placed = (
      await app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: alice,
        payload: { ...limitOrder, clientOrderId: 'mine' },
      })
    ).json();
    expectError(await del('/v1/orders?clientOrderId=mine', bob), 'NOT_FOUND');
    const res = await del('/v1/orders?clientOrderId=mine');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ orderId: placed.orderId, clientOrderId: 'mine' });
  });

  it('cancels all of the caller’s orders on a symbol with one command', async () => {
    await start();
    const res = await del('/v1/orders?symbol=ETH-USDT');
    expect(res.statusCode).toBe(202);
    expect(deps.sender.sent).toEqual([
      expect.objectContaining({ code: 'CANCEL_ALL_ORDERS', payload: { userId: 'alice', symbol: 'ETH-USDT' } }),
    ]);
    expectError(await del('/v1/orders?symbol=DOGE-USDT'), 'UNKNOWN_SYMBOL');
  });

  it('needs exactly one of clientOrderId and symbol', async () => {
    await start();
    expectError(await del('/v1/orders'), 'VALIDATION_FAILED');
    expectError(await del('/v1/orders?symbol=BTC-USDT&clientOrderId=x'), 'VALIDATION_FAILED');
    expect(deps.sender.sent).toHaveLength(0);
  });
});

describe('reading orders and fills', () => {
  const orders = [
    order({ orderId: '01JORDER00000000000000000A', createdAt: 3 }),
    order({ orderId: '01JORDER00000000000000000B', createdAt: 2, status: 'FILLED', filledQuantity: '1' }),
    order({ orderId: '01JORDER00000000000000000C', createdAt: 1, symbol: 'ETH-USDT' }),
    order({ orderId: '01JORDER00000000000000000D', userId: 'bob' }),
  ];
  beforeEach(() => start({ queries: fakeQueries({ orders }) }));
  const get = (url: string, headers: Record<string, string> = alice) => app.inject({ method: 'GET', url, headers });

  it('shows the caller’s own order, lower-case, and 404 for anyone else’s', async () => {
    const res = await get('/v1/orders/01JORDER00000000000000000A');
    // Amounts at the instrument's scale, as the shard's events write them (MySQL gives them back trimmed).
    expect(res.json()).toMatchObject({
      side: 'buy',
      type: 'limit',
      status: 'new',
      price: '65000.00',
      quantity: '1.0000',
    });
    expectError(await get('/v1/orders/01JORDER00000000000000000D'), 'NOT_FOUND');
  });

  it('lists with filters and a cursor, and refuses a cursor it did not issue', async () => {
    const open = (await get('/v1/orders?status=open')).json();
    expect(open.orders.map((o: { orderId: string }) => o.orderId.slice(-1))).toEqual(['A', 'C']);
    const page1 = (await get('/v1/orders?limit=2')).json();
    expect(page1.orders).toHaveLength(2);
    const page2 = (await get(`/v1/orders?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2).toMatchObject({ orders: [{ orderId: '01JORDER00000000000000000C' }], nextCursor: null });
    expectError(await get('/v1/orders?cursor=garbage'), 'INVALID_CURSOR');
    expectError(await get('/v1/orders?limit=0'), 'VALIDATION_FAILED');
    expectError(await get('/v1/orders?status=weird'), 'VALIDATION_FAILED');
  });

  it('answers 503 when MySQL cannot be read', async () => {
    deps.queries.fail(new Error('down'));
    expectError(await get('/v1/orders'), 'UNAVAILABLE');
    expectError(await get('/v1/fills'), 'UNAVAILABLE');
  });
});

describe('market data', () => {
  beforeEach(() => start());

  it('lists instruments with their shard', async () => {
    const res = (await app.inject('/v1/markets')).json();
    expect(res.version).toBe(1);
    expect(res.markets[0]).toMatchObject({
      symbol: 'BTC-USDT',
      tickSize: '0.01',
      lotSize: '0.0001',
      shardId: 'shard-1',
    });
  });

  it('serves depth with the sequence it reflects, and 404 for an unknown market', async () => {
    const empty = (await app.inject('/v1/markets/BTC-USDT/depth')).json();
    expect(empty).toEqual({ symbol: 'BTC-USDT', shardId: 'shard-1', seq: 0, bids: [], asks: [] });
    deps.feed.depths.set('BTC-USDT', {
      symbol: 'BTC-USDT',
      shardId: 'shard-1',
      seq: 42,
      bids: [
        ['100', '1'],
        ['99', '2'],
      ],
      asks: [['101', '1']],
    });
    const one = (await app.inject('/v1/markets/BTC-USDT/depth?levels=1')).json();
    expect(one).toMatchObject({ seq: 42, bids: [['100', '1']], asks: [['101', '1']] });
    expectError(await app.inject('/v1/markets/NOPE/depth'), 'NOT_FOUND');
  });

  it('answers 503 on /v1/markets until instruments are loaded', async () => {
    await app.close();
    await start({ catalog: { lookup: () => undefined, list: () => [], version: () => undefined } });
    expectError(await app.inject('/v1/markets'), 'UNAVAILABLE');
  });
});

describe('market summary', () => {
  const NOW = 1_700_000_000_000;
  const DAY = 24 * 3600_000;
  const trade = (tradeId: string, price: string, quantity: string, executedAt: number) => ({
    tradeId,
    symbol: 'BTC-USDT',
    price,
    quantity,
    takerSide: 'BUY' as const,
    executedAt,
  });

  it('gives each market its last price and the exact quantity traded in the 24 hours before now', async () => {
    // Newest first, as MySQL answers; the oldest is one millisecond outside the window.
    const queries = fakeQueries({
      trades: [
        trade('shard-1-9', '65000.5', '0.1', NOW - 1_000),
        trade('shard-1-8', '64999', '0.2', NOW - DAY),
        trade('shard-1-7', '64000', '7', NOW - DAY - 1),
      ],
    });
    await start({ queries });
    const res = await app.inject('/v1/markets/summary');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      windowStart: NOW - DAY,
      markets: [
        {
          symbol: 'BTC-USDT',
          shardId: 'shard-1',
          lastPrice: '65000.50',
          lastTradeAt: NOW - 1_000,
          volume24h: '0.3000',
          trades24h: 2,
        },
        {
          symbol: 'ETH-USDT',
          shardId: 'shard-1',
          lastPrice: null,
          lastTradeAt: null,
          volume24h: '0.0000',
          trades24h: 0,
        },
      ],
    });
  });

  it('reads MySQL at most once per cache period, and answers 503 while it cannot', async () => {
    let now = NOW;
    const queries = fakeQueries({ trades: [trade('shard-1-1', '1', '1', NOW)] });
    let reads = 0;
    const counted = { ...queries, tradeVolume: (s: string, since: number) => (reads++, queries.tradeVolume(s, since)) };
    await start({ queries: counted, now: () => now });
    await app.inject('/v1/markets/summary');
    await app.inject('/v1/markets/summary');
    expect(reads).toBe(2); // two markets, once
    now += 2_000;
    queries.fail(new Error('MySQL down'));
    expectError(await app.inject('/v1/markets/summary'), 'UNAVAILABLE');
    queries.fail(null);
    expect((await app.inject('/v1/markets/summary')).json().markets[0].volume24h).toBe('1.0000');
  });
});

describe('operations status', () => {
  it('lists every shard from the status reader and the orders this gateway accepted, with their p99', async () => {
    let now = 1_700_000_000_000;
    const accepted = createAcceptedOrdersWindow({ now: () => now });
    const shard = {
      shardId: 'shard-1',
      state: 'RUNNING' as const,
      symbols: ['BTC-USDT'],
      lastSeq: 12,
      commandsPerSecond: 1.5,
      inputLag: 0,
      snapshot: { seq: 10, ageMs: 3_000 },
      writer: { owner: 'node-a', live: true },
      ready: true,
      problems: [],
    };
    await start({ accepted, now: () => now, shardStatus: { read: async () => [shard] } });
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'POST', url: '/v1/orders', headers: alice, payload: limitOrder });
      expect(res.statusCode).toBe(202);
    }
    // A refused order is not an accepted one.
    await app.inject({ method: 'POST', url: '/v1/orders', headers: alice, payload: { ...limitOrder, price: '1.001' } });
    now += 1_000;
    const res = await app.inject('/v1/ops/status');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.shards).toEqual([shard]);
    expect(body.gateway).toMatchObject({ acceptedPerSecond: 0.1, samples: 3, windowSeconds: 60 });
    expect(body.gateway.p99LatencyMs).toBeGreaterThan(0);
  });

  it('answers 503 when the shard status cannot be read', async () => {
    await start({
      shardStatus: {
        read: async () => {
          throw new Error('boom');
        },
      },
    });
    expectError(await app.inject('/v1/ops/status'), 'UNAVAILABLE');
  });
});

describe('web console', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'console-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the build at /, the page revalidated and its hashed assets cached for a year', async () => {
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>shardex</title>');
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'assets', 'index-Bx3k9_Qa.js'), 'console.log(1)');
    await start({ consoleDir: dir });
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>shardex</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject('/assets/index-Bx3k9_Qa.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Only the build's files: anything else is still the API's JSON 404.
    expectError(await app.inject('/assets/nope.js'), 'NOT_FOUND');
    expect((await app.inject('/health')).statusCode).toBe(200);
  });

  it('says how to build the console when there is none, and the API still works', async () => {
    await start({ consoleDir: path.join(dir, 'missing') });
    const page = await app.inject('/');
    expectError(page, 'NOT_FOUND');
    expect(page.json().message).toBe(CONSOLE_NOT_BUILT);
    expect((await app.inject('/v1/markets')).statusCode).toBe(200);
  });
});
