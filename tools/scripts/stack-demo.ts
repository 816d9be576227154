/**
 * Shows the running stack working end to end, through the gateway's HTTP API as a client sees it (after
 * `orchestrator init` and `start` have run, from stack.sh): for the first symbol of every shard, a resting sell and
 * a crossing buy (the buy waits for its result: its fills), then the trades, the depth and the taker's fills as the
 * shard stored them in MySQL. Only HTTP, so it runs the same against the local stack and the compose one.
 * Env: GATEWAY_URL, MAKER_KEY, TAKER_KEY (API keys of two users), SHARD_MAP_FILE (which symbols each shard owns).
 */
import { readFileSync } from 'node:fs';

const GATEWAY = process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:8080';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function http(method: string, path: string, apiKey?: string, body?: unknown): Promise<Reply> {
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
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Mid prices the demo trades at, per symbol; an unlisted symbol uses 100. */
const PRICES: Record<string, [sell: string, buy: string, qty: string]> = {
  'BTC-USDT': ['65000.00', '65010.00', '0.3'],
  'ETH-USDT': ['3200.00', '3201.00', '1.5'],
  'SOL-USDT': ['150.000', '150.010', '12'],
  'XRP-USDT': ['0.5200', '0.5210', '100'],
};

async function tradeOn(shardId: string, symbol: string, maker: string, taker: string, run: number): Promise<void> {
  const [sellPrice, buyPrice, qty] = PRICES[symbol] ?? ['100', '100', '1'];
  console.log(`\n${symbol} (${shardId})`);
  const sell = await http('POST', '/v1/orders', maker, {
    symbol,
    side: 'sell',
    type: 'limit',
    price: sellPrice,
    quantity: String(Number(qty) * 2),
    clientOrderId: `demo-${run}-${symbol}-sell`,
  });
  console.log(
    `  POST /v1/orders  maker sells ${Number(qty) * 2} @ ${sellPrice}            → ${sell.status} ${JSON.stringify(sell.body)}`,
  );
  if (sell.status !== 202) throw new Error(`the maker's order was refused: ${JSON.stringify(sell.body)}`);
  let buy: Reply = { status: 0, body: {} };
  // Resent with the same clientOrderId until it trades: the gateway de-duplicates it, so it is placed once.
  await until(`the crossing buy on ${symbol} to trade`, async () => {
    buy = await http('POST', '/v1/orders', taker, {
      symbol,
      side: 'buy',
      type: 'limit',
      price: buyPrice,
      quantity: qty,
      clientOrderId: `demo-${run}-${symbol}-buy`,
      responseType: 'result',
    });
    return buy.status === 201;
  });
  console.log(
    `  POST /v1/orders  taker buys ${qty} @ ${buyPrice} (responseType=result) → ${buy.status} ${JSON.stringify(buy.body)}`,
  );
  await until(`the trade on ${symbol} in the market data`, async () => {
    const t = await http('GET', `/v1/markets/${symbol}/trades?limit=5`);
    return Array.isArray(t.body['trades']) && (t.body['trades'] as unknown[]).length > 0;
  });
  const trades = await http('GET', `/v1/markets/${symbol}/trades?limit=3`);
  console.log(`  GET /v1/markets/${symbol}/trades → ${JSON.stringify(trades.body['trades'])}`);
  const depth = await http('GET', `/v1/markets/${symbol}/depth?levels=3`);
  console.log(`  GET /v1/markets/${symbol}/depth  → ${JSON.stringify(depth.body)}`);
  // Fills are read from MySQL: they appear once the shard's write buffer has flushed.
  const orderId = String(buy.body['orderId']);
  await until(`the shard to store the fills of ${orderId}`, async () => {
    const f = await http('GET', `/v1/fills?symbol=${symbol}&limit=20`, taker);
    return ((f.body['fills'] as Array<Record<string, unknown>>) ?? []).some((x) => x['orderId'] === orderId);
  });
  const fills = await http('GET', `/v1/fills?symbol=${symbol}&limit=20`, taker);
  const own = (fills.body['fills'] as Array<Record<string, unknown>>).filter((x) => x['orderId'] === orderId);
  console.log(`  GET /v1/fills (taker, from MySQL) → ${JSON.stringify(own)}`);
}

async function main(): Promise<void> {
  const maker = required('MAKER_KEY');
  const taker = required('TAKER_KEY');
  const map = JSON.parse(readFileSync(required('SHARD_MAP_FILE'), 'utf8')) as {
    shards: Array<{ shardId: string; symbols: string[] }>;
  };
  await until('the gateway to be ready', async () => (await http('GET', '/ready')).status === 200);
  const run = Date.now();
  for (const shard of map.shards) {
    const symbol = shard.symbols[0];
    if (symbol) await tradeOn(shard.shardId, symbol, maker, taker, run);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
