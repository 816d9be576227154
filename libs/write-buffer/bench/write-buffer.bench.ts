/**
 * Write-buffer throughput on a real MariaDB/MySQL: the per-row SyncWriteBuffer baseline against the batched
 * WriteBuffer at batch sizes 100, 500 and 1000, in the same run, on the same rows.
 *
 *   npx nx run write-buffer:bench
 *
 * The server is the durable "stack" profile of tools/infra (InnoDB flushes every commit to disk, as in
 * production), started for the run and stopped after unless it was already up; BENCH_MYSQL_URL
 * (mysql://user:pw@host:port/, a user that may create databases) points it elsewhere. The workload is what a shard
 * writes: 100,000 order updates (25,000 orders × 4 versions, an order's versions far apart so batching gains
 * nothing from de-duplication) and 50,000 trades, added one at a time as the engine does (awaiting backpressure),
 * timed until close() has written everything. The per-row baseline runs on the first 10% of the same stream
 * (its rate does not depend on length). The last line printed is one JSON object with the headline figures.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createDb, migrateLatest, type OrderRow, type TradeRow } from '@shardex/db';
import { down, up } from '@shardex/infra';
import mysql from 'mysql2/promise';
import { createSyncWriteBuffer, createWriteBuffer, type WriteBuffer } from '../src';

const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 25_000);
const VERSIONS = 4;
const TRADES = Number(process.env['BENCH_TRADES'] ?? 50_000);
const BASELINE_FRACTION = 0.1;

type Op = { order: OrderRow; trade?: TradeRow };

function workload(): Op[] {
  const ops: Op[] = [];
  const updates = ORDERS * VERSIONS;
  const tradeEvery = updates / TRADES;
  let trades = 0;
  for (let i = 0; i < updates; i++) {
    const k = i % ORDERS;
    const v = Math.floor(i / ORDERS) + 1;
    const order: OrderRow = {
      orderId: `bench-${k}`,
      shardId: 'shard-1',
      userId: `u${k % 1000}`,
      symbol: `SYM${k % 100}`,
      side: k % 2 ? 'BUY' : 'SELL',
      type: 'LIMIT',
      timeInForce: 'GTC',
      price: `${1000 + (k % 500)}.25`,
      quantity: '4.0000',
      filledQuantity: `${v - 1}.0000`,
      status: v === 1 ? 'NEW' : v === VERSIONS ? 'FILLED' : 'PARTIALLY_FILLED',
      postOnly: false,
      reason: null,
      version: i + 1,
      createdAt: 1_763_700_000_000 + k,
      updatedAt: 1_763_700_000_000 + i,
    };
    const op: Op = { order };
    if (trades < TRADES && i >= (trades + 1) * tradeEvery - 1) {
      op.trade = {
        tradeId: `shard-1-${i + 1}`,
        shardId: 'shard-1',
        seq: i + 1,
        symbol: order.symbol,
        price: order.price as string,
        quantity: '1.0000',
        takerOrderId: order.orderId,
        makerOrderId: `bench-${(k + 1) % ORDERS}`,
        takerUserId: order.userId,
        makerUserId: `u${(k + 1) % 1000}`,
        takerSide: order.side,
        executedAt: order.updatedAt,
      };
      trades++;
    }
    ops.push(op);
  }
  return ops;
}

async function run(wb: WriteBuffer, ops: Op[]): Promise<{ rows: number; seconds: number }> {
  const t0 = performance.now();
  let rows = 0;
  for (const op of ops) {
    await wb.add(op.order, op.trade);
    rows += op.trade ? 2 : 1;
  }
  await wb.close();
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  let serverUrl = process.env['BENCH_MYSQL_URL'];
  let started: Awaited<ReturnType<typeof up>>['started'] = [];
  if (!serverUrl) {
    const res = await up({ profile: 'stack', services: ['mariadb'] });
    serverUrl = res.mysqlUrl;
    started = res.started;
  }
  const database = `bench_wb_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(serverUrl);
  const [[version]] = (await admin.query(
    'SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS flush',
  )) as unknown as [[{ v: string; flush: number }]];
  await admin.query(`CREATE DATABASE \`${database}\``);
  const db = createDb({ url: `${serverUrl.replace(/\/$/, '')}/${database}`, poolMax: 4 });
  const results: Array<{ name: string; rows: number; seconds: number; rowsPerSec: number }> = [];
  try {
    await migrateLatest(db);
    const ops = workload();
    const truncate = async () => {
      await db('orders').truncate();
      await db('trades').truncate();
    };
    const record = (name: string, r: { rows: number; seconds: number }) => {
      results.push({ name, ...r, rowsPerSec: r.rows / r.seconds });
      process.stderr.write(`  ${name}: ${r.rows} rows in ${r.seconds.toFixed(1)} s\n`);
    };

    await truncate();
    record(
      'per-row (SyncWriteBuffer)',
      await run(createSyncWriteBuffer({ db }), ops.slice(0, Math.round(ops.length * BASELINE_FRACTION))),
    );
    for (const maxBatchSize of [100, 500, 1000]) {
      await truncate();
      const wb = createWriteBuffer({ db, maxBatchSize, flushIntervalMs: 50, maxBufferedRows: 10 * maxBatchSize });
      record(`batched, maxBatchSize ${maxBatchSize}`, await run(wb, ops));
      const [orders, trades] = await Promise.all([db('orders').count({ n: '*' }), db('trades').count({ n: '*' })]);
      if (Number(orders[0]?.['n']) !== ORDERS || Number(trades[0]?.['n']) !== TRADES) {
        throw new Error(
          `batched ${maxBatchSize}: expected ${ORDERS} orders and ${TRADES} trades, found ${orders[0]?.['n']} and ${trades[0]?.['n']}`,
        );
      }
    }
  } finally {
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    if (started.length) await down({ profile: 'stack', services: started });
  }

  const [baseline, ...batched] = results as [(typeof results)[number], ...typeof results];
  const best = batched.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `write-buffer benchmark: ${ORDERS * VERSIONS} order updates + ${TRADES} trades, ${version.v} (innodb_flush_log_at_trx_commit=${version.flush}), ` +
      `node ${process.version}, ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cores)`,
  );
  console.log('');
  console.log('case                          rows      seconds     rows/s     × per-row');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(28)} ${String(r.rows).padStart(7)} ${r.seconds.toFixed(2).padStart(10)} ${fmt(r.rowsPerSec).padStart(10)} ${(r.rowsPerSec / baseline.rowsPerSec).toFixed(1).padStart(10)}`,
    );
  }
  console.log('');
  console.log(
    JSON.stringify({
      rowsPerSec: Math.round(best.rowsPerSec),
      baselineRowsPerSec: Math.round(baseline.rowsPerSec),
      ratio: Number((best.rowsPerSec / baseline.rowsPerSec).toFixed(1)),
      bestBatchSize: Number(best.name.replace(/\D+/g, '')),
      batched: Object.fromEntries(batched.map((r) => [r.name.replace(/\D+/g, ''), Math.round(r.rowsPerSec)])),
      durable: Number(version.flush) === 1,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
