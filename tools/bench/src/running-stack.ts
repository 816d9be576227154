import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { InstrumentSpec } from '@shardex/contracts';
import { status } from '@shardex/infra';
import { createKafkaClient } from '@shardex/kafka';
import { shardMapFromEnv } from '@shardex/order-router';
import mysql from 'mysql2/promise';
import type { Cleanup } from './cleanup';
import type { DriveTarget } from './drive';
import { deleteTopicsAndGroups } from './kafka-admin';
import type { TargetOptions } from './options';
import { runCli } from './processes';

/** The instruments a gateway serves, as specs (GET /v1/markets). */
export async function marketsOf(gatewayUrl: string): Promise<InstrumentSpec[]> {
  const res = await fetch(`${gatewayUrl}/v1/markets`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${gatewayUrl}/v1/markets answered ${res.status}`);
  const { markets } = (await res.json()) as { markets: Array<InstrumentSpec & { shardId: string }> };
  if (!markets?.length) throw new Error(`${gatewayUrl} lists no markets: run orchestrator init first`);
  return markets.map(({ symbol, base, quote, priceScale, quantityScale, tickSize, lotSize, minQty, maxQty }) => ({
    symbol,
    base,
    quote,
    priceScale,
    quantityScale,
    tickSize,
    lotSize,
    minQty,
    maxQty,
  }));
}

/**
 * A stack someone else runs (`npm run stack`, say), driven as it is: its gateway, its shards' metrics, its topics
 * (from its shard map) and its database. Without --api-keys, one key per user is created with the orchestrator and
 * revoked afterwards; the bench's consumer group is deleted. The processes `npm run stack` started are found by
 * their pid files (.infra/stack/apps), for CPU accounting.
 */
export async function connectRunningStack(
  o: TargetOptions,
  { root, users, runId }: { root: string; users: number; runId: string },
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<DriveTarget> {
  const shardMap = shardMapFromEnv({ SHARD_MAP_FILE: path.resolve(root, o.shardMapFile) }, (p) =>
    readFileSync(p, 'utf8'),
  );
  if (o.shardMetrics.length !== shardMap.shards.length)
    throw new Error(
      `the shard map has ${shardMap.shards.length} shards but --shard-metrics lists ${o.shardMetrics.length} URLs`,
    );
  const instruments = await marketsOf(o.url);
  const kafka = createKafkaClient({ brokers: [...o.kafkaBrokers], clientId: 'shardex-bench' });
  const consumerGroup = `bench-${runId}-watcher`;
  cleanup.defer(`delete the consumer group ${consumerGroup}`, () =>
    deleteTopicsAndGroups(kafka, [], (g) => g === consumerGroup),
  );
  let apiKeys = o.apiKeys;
  if (apiKeys.length === 0) {
    const orchestrator = path.join(root, 'dist/apps/orchestrator/main.js');
    const env = { MYSQL_URL: o.mysqlUrl };
    log(`  API keys: orchestrator keys create × ${users} (revoked at the end)`);
    const created: Array<{ keyId: string; apiKey: string }> = [];
    cleanup.defer('revoke the bench’s API keys', async () => {
      for (const k of created) await runCli(orchestrator, ['keys', 'revoke', k.keyId], env, { cwd: root });
    });
    for (let u = 0; u < users; u++) {
      const out = await runCli(
        orchestrator,
        ['keys', 'create', '--user', `bench-${runId}-user-${u}`, '--label', 'bench', '--json'],
        env,
        { cwd: root },
      );
      created.push(JSON.parse(out.stdout) as { keyId: string; apiKey: string });
    }
    apiKeys = created.map((k) => k.apiKey);
  }
  const pool = mysql.createPool({ uri: o.mysqlUrl, connectionLimit: 2 });
  cleanup.defer('close the bench’s MySQL pool', () => pool.end());
  const processes: Record<string, number> = {};
  const pidFile = (name: string) => path.join(root, '.infra/stack/apps', `${name}.pid`);
  for (const [name, file] of [
    ['gateway', pidFile('gateway')],
    ...shardMap.shards.map((s) => [s.shardId, pidFile(`matching-engine-${s.shardId}`)]),
  ] as const) {
    if (existsSync(file)) processes[name] = Number(readFileSync(file, 'utf8').trim());
  }
  // Kafka and MariaDB too when they are this checkout's "stack" profile (what `npm run stack` runs on).
  const mysqlAddress = new URL(o.mysqlUrl).host;
  for (const s of await status({ profile: 'stack' }).catch(() => [])) {
    if (s.pid === undefined) continue;
    if (s.service === 'kafka' && o.kafkaBrokers.includes(s.address)) processes['kafka'] = s.pid;
    if (s.service === 'mariadb' && new URL(s.address).host === mysqlAddress) processes['mariadb'] = s.pid;
  }
  return {
    gatewayUrl: o.url,
    apiKeys,
    instruments,
    kafka,
    inputTopics: shardMap.shards.map((s) => s.kafkaInputTopic),
    outputTopics: shardMap.shards.map((s) => s.kafkaOutputTopic),
    shards: shardMap.shards.map((s, i) => ({ shardId: s.shardId, metricsUrl: o.shardMetrics[i] as string })),
    mysql: pool,
    processes,
    consumerGroup,
    fromBeginning: false,
  };
}
