/**
 * Shows the local stack working end to end, through the gateway's HTTP API as a client sees it (after
 * `orchestrator init` and `start` have run, from stack.sh):
 * 1. what `orchestrator keys create` does: an API key for two users;
 * 2. a resting sell and a crossing buy placed over HTTP (the buy waits for its result: its fills), the depth, the
 *    taker's fills — and the rows the shard wrote to MySQL.
 * Run by `npm run stack` after the services are up; env: MYSQL_URL (with database), GATEWAY_URL.
 */
import { createApiKeyStore, createDb } from '@shardex/db';

const GATEWAY = process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:8080';

async function http(method: string, path: string, apiKey?: string, body?: unknown) {
  const res = await fetch(`${GATEWAY}${path}`, {
    method,
    headers: {
      ...(apiKey ? { 'x-api-key': apiKey } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function until(what: string, probe: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const db = createDb({ url: process.env['MYSQL_URL'] ?? '' });
  const run = Date.now();
  try {
    const keys = createApiKeyStore(db);
    const maker = (await keys.create({ userId: 'maker-1', label: 'stack demo' })).apiKey;
    const taker = (await keys.create({ userId: 'taker-1', label: 'stack demo' })).apiKey;
    console.log('API keys created for maker-1 and taker-1');
    await until('the gateway to be ready', async () => (await http('GET', '/ready')).status === 200);

    const sell = await http('POST', '/v1/orders', maker, {
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      price: '65000.00',
      quantity: '0.5',
      clientOrderId: `demo-${run}-sell`,
    });
    console.log(`\nPOST /v1/orders (sell 0.5 @ 65000)       → ${sell.status} ${JSON.stringify(sell.body)}`);
    // The first order after START may arrive before the shard runs: retry the result until the shard answers.
    let buy = { status: 0, body: {} as Record<string, unknown> };
    await until('the crossing buy to trade', async () => {
      buy = await http('POST', '/v1/orders', taker, {
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        price: '65010.00',
        quantity: '0.3',
        clientOrderId: `demo-${run}-buy`,
        responseType: 'result',
      });
      return buy.status === 201;
    });
    console.log(`POST /v1/orders (buy 0.3 @ 65010, result) → ${buy.status} ${JSON.stringify(buy.body)}`);
    await until(
      'the depth to show the rest',
      async () => {
        const d = await http('GET', '/v1/markets/BTC-USDT/depth?levels=5');
        return Array.isArray(d.body['asks']) && (d.body['asks'] as unknown[]).length > 0;
      },
      10_000,
    ).catch(() => undefined);
    const depth = await http('GET', '/v1/markets/BTC-USDT/depth?levels=5');
    console.log(`GET /v1/markets/BTC-USDT/depth           → ${depth.status} ${JSON.stringify(depth.body)}`);
    await until('the shard to store the fill', async () => {
      const f = await http('GET', '/v1/fills?symbol=BTC-USDT&limit=5', taker);
      return Array.isArray(f.body['fills']) && (f.body['fills'] as unknown[]).length > 0;
    });
    const fills = await http('GET', '/v1/fills?symbol=BTC-USDT&limit=5', taker);
    console.log(`GET /v1/fills (taker-1)                  → ${fills.status} ${JSON.stringify(fills.body)}`);

    const ids = [sell.body['orderId'], buy.body['orderId']] as string[];
    const rows = await db('orders').whereIn('order_id', ids).orderBy('created_at');
    console.log('\norders the shard wrote to MySQL:');
    for (const o of rows)
      console.log(
        `  ${o['order_id']}  ${o['user_id']} ${o['side']} ${Number(o['quantity'])} @ ${Number(o['price'])}  ${o['status']}  filled ${Number(o['filled_quantity'])}`,
      );
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error('see .infra/stack/apps/gateway.log and matching-engine.log');
  process.exitCode = 1;
});
