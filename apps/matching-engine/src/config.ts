import { readFileSync } from 'node:fs';
import { parseShardMap, type ShardInfo, type ShardMap, shardMapFromEnv } from '@shardex/order-router';

/** Shard process settings, parsed once at start-up from the environment and frozen. */
export interface EngineConfig {
  /** The shard this process owns, e.g. `shard-1`. Required: a shard process that guesses its id corrupts another's data. */
  readonly shardId: string;
  /** Port of the small HTTP server for /health, /ready and /metrics; default 9464. */
  readonly httpPort: number;
  readonly httpHost: string;
  readonly kafkaBrokers: readonly string[];
  /** mysql://user:password@host:port/database */
  readonly mysqlUrl: string;
  /** This shard's topics, from the shard map (SHARD_MAP_FILE, SHARD_MAP, SHARD_COUNT or SHARDING_ENABLED=false). */
  readonly shard: ShardInfo;
  readonly shardMap: ShardMap;
  /** Snapshot after this many applied commands (default 10,000) ... */
  readonly snapshotEveryCommands: number;
  /** ... or this long after the last snapshot when commands were applied since, ms (default 60,000). */
  readonly snapshotEveryMs: number;
  /** DEPTH events for changed books every this many commands (deterministic: counted, not timed). Default 100. */
  readonly depthEveryCommands: number;
  readonly depthLevels: number;
  readonly writeBatchSize: number;
  readonly writeFlushMs: number;
  readonly logLevel: string;
  /** Kafka consumer group; default `shardex-engine-<shardId>`. */
  readonly consumerGroup: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ENGINE_ERR_CONFIG';
}

const SHARD_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer ${min}-${max}, got "${raw}"`);
  return n;
}

/** `readFile` is injectable so tests need no files; the default reads SHARD_MAP_FILE from disk. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): EngineConfig {
  const shardId = env['SHARD_ID'];
  if (!shardId) throw new ConfigError('SHARD_ID is required (e.g. SHARD_ID=shard-1)');
  if (!SHARD_ID.test(shardId))
    throw new ConfigError(`SHARD_ID must be lower-case letters, digits, _ and -, got "${shardId}"`);
  const brokers = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || brokers.some((b) => !/^[^:\s]+:\d{1,5}$/.test(b))) {
    throw new ConfigError(`KAFKA_BROKERS must be host:port[,host:port...], got "${env['KAFKA_BROKERS'] ?? ''}"`);
  }
  const mysqlUrl = env['MYSQL_URL'] ?? '';
  if (!/^mysql:\/\/[^/]+\/[^/?]+/.test(mysqlUrl))
    throw new ConfigError('MYSQL_URL must be mysql://user:password@host:port/database');

  let shardMap: ShardMap;
  try {
    const file = env['SHARD_MAP_FILE'];
    shardMap = file ? parseShardMap(readFile(file), /\.ya?ml$/i.test(file) ? 'yaml' : 'json') : shardMapFromEnv(env);
  } catch (err) {
    throw new ConfigError(`shard map: ${(err as Error).message}`);
  }
  const shard =
    shardMap.shards.find((s) => s.shardId === shardId) ?? (shardMap.shardingEnabled ? undefined : shardMap.shards[0]);
  if (!shard)
    throw new ConfigError(
      `SHARD_ID "${shardId}" is not in the shard map (${shardMap.shards.map((s) => s.shardId).join(', ')})`,
    );

  return Object.freeze({
    shardId,
    httpPort: int(env, 'HTTP_PORT', 9464, 0, 65535),
    httpHost: env['HTTP_HOST'] ?? '127.0.0.1',
    kafkaBrokers: Object.freeze(brokers),
    mysqlUrl,
    shard,
    shardMap,
    snapshotEveryCommands: int(env, 'SNAPSHOT_EVERY_COMMANDS', 10_000, 1),
    snapshotEveryMs: int(env, 'SNAPSHOT_EVERY_MS', 60_000, 1),
    depthEveryCommands: int(env, 'DEPTH_EVERY_COMMANDS', 100, 1),
    depthLevels: int(env, 'DEPTH_LEVELS', 10, 1, 1000),
    writeBatchSize: int(env, 'WRITE_BATCH_SIZE', 500, 1, 100_000),
    writeFlushMs: int(env, 'WRITE_FLUSH_MS', 50, 1, 60_000),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    consumerGroup: env['CONSUMER_GROUP'] || `shardex-engine-${shardId}`,
  });
}
