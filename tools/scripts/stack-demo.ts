/**
 * Shows the local stack working end to end: broadcasts INITIALIZE_ENGINE (one instrument) and START_ENGINE to every
 * shard, places a few crossing orders through the router, and prints the trades and orders the shard wrote to MySQL.
 * Run by `npm run stack` after the services are up; env: KAFKA_BROKERS, MYSQL_URL (with database), SHARD_COUNT.
 */
import { createDb } from '@shardex/db';
import { createKafkaProducer } from '@shardex/kafka';
import { createOrderRouter, shardMapFromEnv } from '@shardex/order-router';

async function main(): Promise<void> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',');
  const db = createDb({ url: process.env['MYSQL_URL'] ?? '' });
  const producer = createKafkaProducer({ brokers, clientId: 'shardex-stack-demo' });
  await producer.connect();
  const router = createOrderRouter({ shardMap: shardMapFromEnv(process.env), producer });
  const run = Date.now();
  const command = <T>(code: string, payload: T, n = 0) =>
    ({ commandId: `demo-${run}-${code}-${n}`, code, issuedAt: run + n, payload }) as never;
  const instrument = {
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    priceScale: 2,
    quantityScale: 8,
    tickSize: '0.01',
    lotSize: '0.00001',
    minQty: '0.0001',
    maxQty: '100',
  };
  for (const [code, payload] of [
    ['INITIALIZE_ENGINE', { instruments: [instrument] }],
    ['START_ENGINE', {}],
  ] as const) {
    const results = await router.broadcastToAllShards(command(code, payload));
    console.log(`${code}: ${results.map((r) => `${r.shardId} ${r.success ? 'ok' : `FAILED ${r.error}`}`).join(', ')}`);
  }
  const orders = [
    { side: 'SELL', price: '65000.00', quantity: '0.5', userId: 'maker-1' },
    { side: 'SELL', price: '65010.00', quantity: '0.7', userId: 'maker-2' },
    { side: 'BUY', price: '65010.00', quantity: '1.0', userId: 'taker-1' },
  ];
  const ids = orders.map((_, i) => `demo-${run}-${i}`);
  for (const [i, o] of orders.entries()) {
    await router.sendToShard(
      command('PLACE_ORDER', { orderId: ids[i], symbol: 'BTC-USDT', type: 'LIMIT', timeInForce: 'GTC', ...o }, i + 1),
    );
  }
  const deadline = Date.now() + 60_000;
  let trades: Array<Record<string, unknown>> = [];
  while (Date.now() < deadline) {
    trades = await db('trades').whereIn('taker_order_id', ids).orderBy('seq');
    if (trades.length >= 2) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const rows = await db('orders').whereIn('order_id', ids).orderBy('order_id');
  console.log('\ntrades written by the shard:');
  for (const t of trades)
    console.log(
      `  ${t['trade_id']}  ${Number(t['quantity'])} BTC @ ${Number(t['price'])}  taker ${t['taker_order_id']}  maker ${t['maker_order_id']}`,
    );
  console.log('orders:');
  for (const o of rows)
    console.log(
      `  ${o['order_id']}  ${o['side']} ${Number(o['quantity'])} @ ${Number(o['price'])}  ${o['status']}  filled ${Number(o['filled_quantity'])}`,
    );
  await producer.disconnect();
  await db.destroy();
  if (trades.length < 2) {
    console.error('the shard did not write the expected trades within 60 s; see .infra/stack/apps/matching-engine.log');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
