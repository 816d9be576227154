import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { API_ERRORS } from './errors';
import { fakeDeps, KEYS, TEST_CONFIG } from './testing/fakes';

/**
 * Thousands of random and malformed requests: every answer is a documented status, every error a catalogued code
 * in the documented shape — never a 500, never a crash or a hang. The fakes answer like healthy infrastructure, so
 * a 503 here would be the gateway's own fault too.
 */

const SUCCESS = new Set([200, 201, 202]);
const CODES = new Map(Object.entries(API_ERRORS).map(([code, e]) => [code, e.statusCode]));

const printable = fc.string({ unit: fc.constantFrom(...'azAZ09-_.:/ %"{}[],\\\'#?&=+~é€'.split('')), maxLength: 40 });
const symbol = fc.oneof(fc.constantFrom('BTC-USDT', 'ETH-USDT', 'DOGE-USDT', 'btc-usdt', ''), printable);
const amount = fc.oneof(
  fc.constantFrom('1', '0.5', '65000.01', '0', '-1', '1e3', '0.00001', '１', ' 1', '1.', '.5', '99999999999999999999'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.integer(),
  fc.double(),
  printable,
);
const orderBody = fc.record(
  {
    symbol,
    side: fc.oneof(fc.constantFrom('buy', 'sell', 'BUY', 'hold'), printable),
    type: fc.oneof(fc.constantFrom('limit', 'market', 'stop'), printable),
    price: amount,
    quantity: amount,
    timeInForce: fc.constantFrom('GTC', 'IOC', 'FOK', 'gtc', 'DAY'),
    postOnly: fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null)),
    clientOrderId: fc.oneof(printable, fc.string({ maxLength: 80 })),
    stp: fc.constantFrom('CANCEL_NEWEST', 'CANCEL_OLDEST', 'CANCEL_BOTH', 'NONE', 'x'),
    responseType: fc.constantFrom('ack', 'result', 'full'),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
// Mostly valid orders with a field or two off, so that many requests get past validation to the order service.
const nearlyValidOrder = fc
  .record({
    symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT'),
    side: fc.constantFrom('buy', 'sell'),
    type: fc.constant('limit'),
    price: fc.integer({ min: 1, max: 10_000_000 }).map((c) => (c / 100).toFixed(2)),
    quantity: fc.integer({ min: 1, max: 2_000_000 }).map((l) => (l / 10_000).toFixed(4)),
    clientOrderId: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
  })
  .chain((order) =>
    fc.record({ mutation: fc.option(orderBody, { freq: 2 }) }).map(({ mutation }) => ({ ...order, ...mutation })),
  );
const body = fc.oneof(
  nearlyValidOrder,
  fc.record({ orders: fc.array(nearlyValidOrder, { maxLength: 22 }) }),
  orderBody,
  fc.record({ orders: fc.array(orderBody, { maxLength: 25 }) }),
  fc.json(),
  fc.anything(),
  printable,
  fc.constant(undefined),
);
const id = fc.oneof(fc.constantFrom('01JORDER00000000000000000A', 'x'.repeat(300)), printable);
const path = fc.oneof(
  fc.constantFrom('/v1/orders', '/v1/orders/batch'),
  fc.constantFrom('/v1/orders', '/v1/orders/batch', '/v1/fills', '/v1/markets', '/health', '/ready', '/metrics'),
  id.map((i) => `/v1/orders/${encodeURIComponent(i)}`),
  symbol.map((s) => `/v1/markets/${encodeURIComponent(s)}/depth`),
  symbol.map((s) => `/v1/markets/${encodeURIComponent(s)}/trades`),
  printable.map((p) => `/${encodeURIComponent(p)}`),
);
const query = fc.dictionary(
  fc.constantFrom('symbol', 'status', 'limit', 'cursor', 'levels', 'clientOrderId', 'x'),
  fc.oneof(printable, fc.integer().map(String), fc.constantFrom('open', 'closed', 'filled', '0', '501', '-1')),
  { maxKeys: 4 },
);
const headers = fc.oneof(
  fc.constant({ 'x-api-key': KEYS.alice.key, 'content-type': 'application/json' }),
  fc.record(
    {
      'x-api-key': fc.oneof(fc.constant(KEYS.alice.key), fc.constant(KEYS.bob.key), printable),
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'foo/bar'),
    },
    { requiredKeys: [] },
  ),
);
const request = fc.record({
  method: fc.constantFrom('POST', 'GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
  path,
  query,
  headers,
  body,
  raw: fc.boolean(),
});

describe('gateway under random and malformed requests', () => {
  let app: FastifyInstance;
  let deps: ReturnType<typeof fakeDeps>;
  beforeAll(async () => {
    deps = fakeDeps();
    app = buildApp({ ...TEST_CONFIG, rateLimitMax: 1_000_000, resultTimeoutMs: 1 }, deps);
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers every request with a documented status and code', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const qs = new URLSearchParams(r.query).toString();
        const payload =
          r.body === undefined ? undefined : r.raw && typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        const res = await app.inject({
          method: r.method as 'GET',
          url: qs ? `${r.path}?${qs}` : r.path,
          headers: r.headers,
          ...(payload !== undefined && r.method !== 'GET' ? { payload } : {}),
        });
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        if (SUCCESS.has(res.statusCode)) return;
        const answer = res.json() as Record<string, unknown>;
        expect(Object.keys(answer).sort()).toEqual(expect.arrayContaining(['code', 'error', 'message', 'statusCode']));
        const code = answer['code'] as string;
        expect(CODES.get(code)).toBe(res.statusCode);
        expect(answer['statusCode']).toBe(res.statusCode);
        expect(code).not.toBe('INTERNAL');
      }),
      { numRuns: 3_000 },
    );
    // The generator reaches past validation too: orders accepted and errors of several kinds.
    expect(seen.get(202)).toBeGreaterThan(0);
    expect([...seen.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(4);
  }, 120_000); // a budget for 3,000 requests on a loaded CI machine, not a timing assertion
});
