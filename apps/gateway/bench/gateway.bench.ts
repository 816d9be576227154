/**
 * The gateway under load on real Kafka and MySQL: `POST /v1/orders` flat out and at a fixed rate, the batch endpoint
 * flat out, and — in the same run, as the baseline — the same gateway sending one produce request per order.
 *
 *   npx nx run gateway:bench
 *
 * Kafka and MariaDB are the durable "stack" profile of tools/infra (started for the run and stopped after unless
 * already up); BENCH_KAFKA_BROKERS and BENCH_MYSQL_URL (mysql://user:pw@host:port/, a user that may create
 * databases) point elsewhere. The run gets its own database and topics (two shards, eight symbols) and drops them.
 * The gateway is the production bundle (dist/apps/gateway/main.js) in its own process; autocannon drives it from
 * this one. Every request has its own body and a unique clientOrderId, so the idempotency store is on the path.
 *
 * "Accepted" is counted on Kafka, not from the answers: the records that reached the shards' input topics during a
 * phase (end offsets before and after), divided by the phase's duration. The fixed-rate latency is corrected for
 * coordinated omission (each answer recorded against the interval the schedule expected, HdrHistogram). BENCH_SECONDS
 * (default 15) sets each phase's length, BENCH_RATE the fixed rate (default 4,000 orders/s: below what this 2-core box sustains, so the latency is the
 * gateway's and not a queue's), BENCH_CONNECTIONS the connections of the single-order phases (default 128). The last line printed is
 * one JSON object with the headline figures.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import mysql from 'mysql2/promise';
import {
  type AppProcess,
  benchInfra,
  deleteTopicsAndGroups,
  endOffsets,
  freePort,
  LatencyHistogram,
  phaseShardMap,
  startApp,
} from '@shardex/bench';
import { type InstrumentSpec } from '@shardex/contracts';
import { createApiKeyStore, createDb, createInstrumentRegistry, migrateLatest } from '@shardex/db';
import { createKafkaClient, ensureTopics, shardTopics } from '@shardex/kafka';
import { createShardMap } from '@shardex/order-router';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const RATE = Number(process.env['BENCH_RATE'] ?? 4_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 128);
const BATCH_CONNECTIONS = 16;
const BATCH_SIZE = 20;
const SYMBOLS = Array.from({ length: 8 }, (_, i) => `SYM${i}-USDT`);
// nx runs the target from the workspace root, where the gateway's bundle is.
const ROOT = process.cwd();

function spec(symbol: string): InstrumentSpec {
  return {
    symbol,
    base: symbol.split('-')[0] as string,
    quote: 'USDT',
    priceScale: 2,
    quantityScale: 4,
    tickSize: '0.01',
    lotSize: '0.0001',
    minQty: '0.0001',
    maxQty: '1000',
  };
}

async function startGateway(env: Record<string, string>): Promise<AppProcess & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await startApp({
    name: 'gateway',
    script: path.join(ROOT, 'dist/apps/gateway/main.js'),
    env: { ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    readyUrl: `${url}/ready`,
    cwd: ROOT,
  });
  return { ...app, url };
}

let sequence = 0;
const run = randomBytes(3).toString('hex');
function order(withClientOrderId = true): string {
  const n = sequence++;
  const symbol = SYMBOLS[n % SYMBOLS.length] as string;
  // Prices around 100 and both sides: a realistic mix (no shard consumes these topics, so nothing trades).
  const side = n % 2 === 0 ? 'buy' : 'sell';
  const price = (9_000 + (n % 2_000)).toString();
  return JSON.stringify({
    symbol,
    side,
    type: 'limit',
    price: `${price.slice(0, -2)}.${price.slice(-2)}`,
    quantity: '0.0100',
    ...(withClientOrderId ? { clientOrderId: `b${run}-${n}` } : {}),
  });
}

interface Phase {
  name: string;
  seconds: number;
  accepted: number;
  ordersPerSec: number;
  requests: number;
  non2xx: number;
  p50Ms: number;
  p99Ms: number;
}

async function load(
  name: string,
  url: string,
  apiKey: string,
  countAccepted: () => Promise<number>,
  { batch = false, rate, clientOrderIds = true }: { batch?: boolean; rate?: number; clientOrderIds?: boolean } = {},
): Promise<Phase> {
  const connections = batch ? BATCH_CONNECTIONS : CONNECTIONS;
  const histogram = new LatencyHistogram();
  // At a fixed rate each connection is due every connections/rate seconds: a late answer also delayed the requests
  // the schedule wanted to send meanwhile, which the correction records (in microseconds).
  const expectedIntervalUs = rate ? Math.round((connections * 1e6) / rate) : 0;
  const before = await countAccepted();
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: SECONDS,
        ...(rate ? { overallRate: rate } : {}),
        requests: [
          {
            method: 'POST',
            path: batch ? '/v1/orders/batch' : '/v1/orders',
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
            setupRequest: (req) => ({
              ...req,
              body: batch
                ? `{"orders":[${Array.from({ length: BATCH_SIZE }, () => order(clientOrderIds)).join(',')}]}`
                : order(clientOrderIds),
            }),
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) =>
      histogram.record(responseTimeMs, expectedIntervalUs / 1000),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  // Produces still in flight when the load stopped land within the linger and a round trip.
  await new Promise((r) => setTimeout(r, 500));
  const accepted = (await countAccepted()) - before;
  const phase: Phase = {
    name,
    seconds,
    accepted,
    ordersPerSec: accepted / seconds,
    requests: result.requests.total,
    non2xx: result.non2xx + result.errors + result.timeouts,
    p50Ms: histogram.percentileMs(50),
    p99Ms: histogram.percentileMs(99),
  };
  process.stderr.write(
    `  ${name}: ${Math.round(phase.ordersPerSec)} orders/s, p50 ${phase.p50Ms.toFixed(2)} ms, p99 ${phase.p99Ms.toFixed(2)} ms, ${phase.non2xx} not 2xx of ${phase.requests}\n`,
  );
  return phase;
}

async function main(): Promise<void> {
  const infra = await benchInfra();
  const { brokers, serverUrl } = infra;
  const database = `bench_gw_${run}`;
  const admin = await mysql.createConnection(serverUrl);
  await admin.query(`CREATE DATABASE \`${database}\``);
  const mysqlUrl = `${serverUrl.replace(/\/$/, '')}/${database}`;
  const db = createDb({ url: mysqlUrl, poolMax: 2 });
  // Every topic named for the run (not the shards' default shard-N-output, which a running stack may be using).
  const { shards } = phaseShardMap(SYMBOLS, 2, `bench-gw-${run}`);
  const shardMap = createShardMap({ shards });
  const topics = shardTopics(shardMap, { partitions: 2 });
  const kafka = createKafkaClient({ brokers, clientId: 'shardex-gateway-bench' });
  const inputs = shardMap.shards.map((s) => s.kafkaInputTopic);
  const countAccepted = () => endOffsets(kafka, inputs);
  const phases: Phase[] = [];
  let gateway: (AppProcess & { url: string }) | undefined;
  const gatewayPids: number[] = [];
  try {
    await ensureTopics({ brokers }, topics);
    await migrateLatest(db);
    await createInstrumentRegistry(db).publish({
      instruments: SYMBOLS.map((s) => ({ spec: spec(s), shardId: shardMap.route(s).shardId })),
      at: new Date(),
      createdBy: 'gateway-bench',
    });
    const apiKey = (await createApiKeyStore(db).create({ userId: 'bench' })).apiKey;
    const env = {
      KAFKA_BROKERS: brokers.join(','),
      MYSQL_URL: mysqlUrl,
      SHARD_MAP: JSON.stringify({ shards }),
      RATE_LIMIT_MAX: '10000000',
    };

    gateway = await startGateway(env);
    gatewayPids.push(gateway.pid);
    process.stderr.write(`gateway bench: ${SECONDS} s per phase, ${os.cpus().length} cores\n`);
    await load('warm-up', gateway.url, apiKey, countAccepted);
    phases.push(await load('single orders, flat out', gateway.url, apiKey, countAccepted));
    phases.push(await load(`single orders at ${RATE}/s`, gateway.url, apiKey, countAccepted, { rate: RATE }));
    phases.push(
      await load('single orders without clientOrderId, flat out', gateway.url, apiKey, countAccepted, {
        clientOrderIds: false,
      }),
    );
    phases.push(await load(`batches of ${BATCH_SIZE}, flat out`, gateway.url, apiKey, countAccepted, { batch: true }));
    await gateway.stop();

    // The baseline: the same gateway, but every order its own produce request (no linger, batches of one).
    gateway = await startGateway({ ...env, PRODUCER_LINGER_MS: '0', PRODUCER_MAX_BATCH_RECORDS: '1' });
    gatewayPids.push(gateway.pid);
    await load('warm-up (baseline)', gateway.url, apiKey, countAccepted);
    phases.push(await load('baseline: one produce per order, flat out', gateway.url, apiKey, countAccepted));
  } finally {
    await gateway?.stop();
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    await deleteTopicsAndGroups(
      kafka,
      topics.map((t) => t.topic),
      (g) => gatewayPids.some((pid) => g.startsWith(`shardex-gateway-md-${os.hostname()}-${pid}-`)),
    ).catch(() => undefined);
    await infra.release();
  }

  const [flat, fixed, , batch, baseline] = phases as [Phase, Phase, Phase, Phase, Phase];
  console.log('\n| phase | orders/s | p50 ms | p99 ms | requests | not 2xx |');
  console.log('| ----- | -------: | -----: | -----: | -------: | ------: |');
  for (const p of phases)
    console.log(
      `| ${p.name} | ${Math.round(p.ordersPerSec).toLocaleString('en-US')} | ${p.p50Ms.toFixed(2)} | ${p.p99Ms.toFixed(2)} | ${p.requests.toLocaleString('en-US')} | ${p.non2xx} |`,
    );
  const ratio = flat.ordersPerSec / baseline.ordersPerSec;
  console.log(`\nbatching ratio: ${ratio.toFixed(2)}× the one-produce-per-order baseline`);
  console.log(
    JSON.stringify({
      ordersPerSec: Math.round(flat.ordersPerSec),
      batchOrdersPerSec: Math.round(batch.ordersPerSec),
      baselineOrdersPerSec: Math.round(baseline.ordersPerSec),
      ratio: Number(ratio.toFixed(2)),
      // At the fixed rate, corrected for coordinated omission; flat out, latency is only the queue autocannon keeps.
      p50Ms: Number(fixed.p50Ms.toFixed(2)),
      p99Ms: Number(fixed.p99Ms.toFixed(2)),
      fixedRate: RATE,
      fixedRateOrdersPerSec: Math.round(fixed.ordersPerSec),
      flatOutP50Ms: Number(flat.p50Ms.toFixed(2)),
      flatOutP99Ms: Number(flat.p99Ms.toFixed(2)),
      seconds: SECONDS,
      cores: os.cpus().length,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
