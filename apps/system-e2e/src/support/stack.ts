import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type InstrumentSpec } from '@shardex/contracts';
import { createApiKeyStore, createDb, type Knex } from '@shardex/db';
import {
  createTestDatabase,
  createTestTopics,
  type TestDatabase,
  type TestInfra,
  type TestTopics,
  kafkaClientEnv,
} from '@shardex/testing';
import { AppProcess, freePort, LOG_DIR, runOnce, until } from './processes';

/**
 * The whole system as `npm run stack` runs it — two shards and a gateway, each its own process, set up by the
 * orchestrator's CLI — on a test's own topics and database (on the run's shared infrastructure, or on a dedicated
 * broker and server that a fault test may stop).
 */

export const SHARD_IDS = ['shard-1', 'shard-2'] as const;
export type ShardId = (typeof SHARD_IDS)[number];

/** Prices with 2 decimals, quantities with 2: small integers on the wire keep the reference comparison exact. */
export function instrument(symbol: string): InstrumentSpec {
  return {
    symbol,
    base: symbol.split('-')[0] as string,
    quote: 'USD',
    priceScale: 2,
    quantityScale: 2,
    tickSize: '0.01',
    lotSize: '0.01',
    minQty: '0.01',
    maxQty: '100000',
  };
}

export interface StackOptions {
  label: string;
  infra: TestInfra;
  /** The symbols each shard owns (pinned in the shard map). */
  symbols: Record<ShardId, string[]>;
  users: string[];
  shardEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

export interface SystemStack {
  readonly label: string;
  readonly infra: TestInfra;
  readonly topics: TestTopics;
  readonly tdb: TestDatabase;
  readonly db: Knex;
  readonly gateway: AppProcess;
  readonly shards: Record<ShardId, AppProcess>;
  readonly gatewayUrl: string;
  /** API key of each user. */
  readonly keys: Record<string, string>;
  /** The shard that owns a symbol. */
  shardOf(symbol: string): ShardId;
  /** The real topic of a shard's logical one. */
  topic(shardId: ShardId, kind: 'input' | 'preload' | 'output' | 'dlq'): string;
  /** The orchestrator's CLI on this stack. */
  orchestrator(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<SystemStack> {
  const { label, infra } = options;
  const topics = await createTestTopics(
    SHARD_IDS.flatMap((s) => [`${s}-input`, `${s}-preload`, { name: `${s}-output`, partitions: 2 }, `${s}-dlq`]),
    infra,
  );
  const tdb = await createTestDatabase(label, infra);
  const db = createDb({ url: tdb.url });
  const dir = path.join(LOG_DIR, label);
  mkdirSync(dir, { recursive: true });
  const shardMapFile = path.join(dir, 'shard-map.json');
  writeFileSync(
    shardMapFile,
    JSON.stringify({
      shards: SHARD_IDS.map((shardId) => ({
        shardId,
        kafkaInputTopic: topics.name(`${shardId}-input`),
        kafkaPreloadTopic: topics.name(`${shardId}-preload`),
        kafkaOutputTopic: topics.name(`${shardId}-output`),
        kafkaDlqTopic: topics.name(`${shardId}-dlq`),
        symbols: options.symbols[shardId],
      })),
    }),
  );
  const instrumentsFile = path.join(dir, 'instruments.json');
  writeFileSync(instrumentsFile, JSON.stringify(Object.values(options.symbols).flat().map(instrument)));
  const common = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    ...kafkaClientEnv(),
    MYSQL_URL: tdb.url,
    SHARD_MAP_FILE: shardMapFile,
    CONSUMER_GROUP_PREFIX: `e2e-${topics.name('shard-1-input')}`,
  };

  const processes: AppProcess[] = [];
  try {
    const shards = {} as Record<ShardId, AppProcess>;
    for (const shardId of SHARD_IDS) {
      const port = await freePort();
      shards[shardId] = new AppProcess(
        `${label}-${shardId}`,
        'matching-engine',
        {
          ...common,
          SHARD_ID: shardId,
          NODE_ID: `${label}-${shardId}`,
          HTTP_PORT: String(port),
          DEPTH_EVERY_COMMANDS: '1',
          ...options.shardEnv,
        },
        `http://127.0.0.1:${port}/health`,
      );
      processes.push(shards[shardId]);
    }
    // The shards first: they migrate the database, which the gateway reads.
    await Promise.all(SHARD_IDS.map((s) => shards[s].start()));
    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const gateway = new AppProcess(
      `${label}-gateway`,
      'gateway',
      {
        ...common,
        PORT: String(gatewayPort),
        INSTRUMENTS_POLL_MS: '500',
        // Load tests drive it far harder than one client would: the limits are not what is under test.
        RATE_LIMIT_MAX: '1000000',
        PUBLIC_RATE_LIMIT_MAX: '1000000',
        ...options.gatewayEnv,
      },
      `${gatewayUrl}/health`,
    );
    processes.push(gateway);
    await gateway.start();

    const orchestrator = async (...args: string[]) => (await runOnce('orchestrator', args, common)).stdout;
    await orchestrator('init', '--instruments', instrumentsFile, '--wait', '--timeout', '60s');
    await orchestrator('start', '--wait', '--timeout', '60s');
    const store = createApiKeyStore(db);
    const keys: Record<string, string> = {};
    for (const user of options.users) keys[user] = (await store.create({ userId: user, label })).apiKey;
    await until('the gateway to be ready', async () => (await fetch(`${gatewayUrl}/ready`)).status === 200, 60_000);

    const owner = new Map<string, ShardId>();
    for (const s of SHARD_IDS) for (const sym of options.symbols[s]) owner.set(sym, s);
    return {
      label,
      infra,
      topics,
      tdb,
      db,
      gateway,
      shards,
      gatewayUrl,
      keys,
      shardOf(symbol) {
        const s = owner.get(symbol);
        if (!s) throw new Error(`no shard owns ${symbol}`);
        return s;
      },
      topic: (shardId, kind) => topics.name(`${shardId}-${kind}`),
      orchestrator,
      async close() {
        await Promise.all(processes.map((p) => p.close()));
        await db.destroy();
        await topics.drop();
        await tdb.drop();
      },
    };
  } catch (err) {
    await Promise.all(processes.map((p) => p.close()));
    await db.destroy();
    await topics.drop().catch(() => undefined);
    await tdb.drop().catch(() => undefined);
    throw err;
  }
}
