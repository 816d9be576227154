import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { isDatabaseUrl } from '@shardex/db';
import { KAFKA_CLIENTS, type KafkaClientName, parseBrokerList, parseKafkaClient } from '@shardex/kafka';
import { LEGACY_SHARD, type ShardInfo, type ShardMap, shardMapFromEnv } from '@shardex/order-router';
import { EngineError } from './errors';

/** Shard process settings, parsed once at start-up from the environment and frozen. */
export interface EngineConfig {
  /** The shard this process owns, e.g. `shard-1`. Required: a shard process that guesses its id corrupts another's data. */
  readonly shardId: string;
  /** Port of the small HTTP server for /health, /ready and /metrics; default 9464. */
  readonly httpPort: number;
  readonly httpHost: string;
  readonly kafkaBrokers: readonly string[];
  /** KAFKA_CLIENT: the Kafka client library under the ports. */
  readonly kafkaClient: KafkaClientName;
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
  /**
   * `batched` (default): rows are written in batches of WRITE_BATCH_SIZE at least every WRITE_FLUSH_MS. `sync`: one
   * transaction per row before the command's events go out — the per-row baseline of the benchmarks, with the same
   * lease fence and the same durability order (rows written before the snapshot and the offsets).
   */
  readonly writeBuffer: WriteBufferMode;
  readonly logLevel: string;
  /** Kafka consumer group: `<CONSUMER_GROUP_PREFIX>-<shardId>` (prefix default `shardex-engine`), one per shard. */
  readonly consumerGroup: string;
  /** Array items per stored snapshot part (bounds every chunk of a snapshot). Default 10,000. */
  readonly snapshotPartItems: number;
  /**
   * The shard lease: a process writes for the shard only while it holds it; another process with the same SHARD_ID
   * waits as a hot standby and takes over this long after the holder stops renewing, ms. Default 10,000.
   */
  readonly leaseTtlMs: number;
  /** How often a standby asks for the lease, ms. Default 1,000. */
  readonly standbyPollMs: number;
  /** Kafka drops a silent group member after this long, ms (6,000 or more). Default 10,000. */
  readonly kafkaSessionTimeoutMs: number;
  /** Most bytes of one topic a fetch returns: bounds a batch, the work between two checkpoints. Default 1 MiB. */
  readonly kafkaMaxBatchBytes: number;
  /** /health fails when the consume loop (or the standby loop) showed no activity for this long, ms. Default 90,000. */
  readonly livenessTimeoutMs: number;
  /**
   * Longest a durability step may take (acknowledgements, a flush, a journal record, a snapshot), ms; past it the
   * incarnation restarts from its snapshot: a hung connection must not hold the shard. Default 60,000.
   */
  readonly checkpointTimeoutMs: number;
  /** Longest wait between restarts from the last snapshot after repeated failures, ms. Default 30,000. */
  readonly recoveryBackoffMaxMs: number;
  /** Identifies this process as the lease owner: NODE_ID, else `<hostname>-<pid>-<random>`. */
  readonly nodeId: string;
}

/** A configuration problem, reported before anything connects. */
export class ConfigError extends EngineError {
  constructor(message: string) {
    super('ENGINE_ERR_CONFIG', message);
  }
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

const GROUP_PREFIX = /^[A-Za-z0-9._-]{1,120}$/;

function consumerGroupPrefix(env: NodeJS.ProcessEnv): string {
  if (env['CONSUMER_GROUP'] !== undefined)
    throw new ConfigError(
      'CONSUMER_GROUP is no longer read: a group shared by two shards would mix their topics; set CONSUMER_GROUP_PREFIX (the group is <prefix>-<SHARD_ID>)',
    );
  const prefix = env['CONSUMER_GROUP_PREFIX'] || 'shardex-engine';
  if (!GROUP_PREFIX.test(prefix))
    throw new ConfigError(`CONSUMER_GROUP_PREFIX must be 1-120 of A-Z a-z 0-9 . _ -, got "${prefix}"`);
  return prefix;
}

export const WRITE_BUFFER_MODES = ['batched', 'sync'] as const;
export type WriteBufferMode = (typeof WRITE_BUFFER_MODES)[number];

function writeBufferMode(env: NodeJS.ProcessEnv): WriteBufferMode {
  const raw = env['WRITE_BUFFER'] || 'batched';
  if (!(WRITE_BUFFER_MODES as readonly string[]).includes(raw))
    throw new ConfigError(`WRITE_BUFFER must be ${WRITE_BUFFER_MODES.join(' or ')}, got "${raw}"`);
  return raw as WriteBufferMode;
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
  const brokers = parseBrokerList(env['KAFKA_BROKERS']);
  if (!brokers)
    throw new ConfigError(`KAFKA_BROKERS must be host:port[,host:port...], got "${env['KAFKA_BROKERS'] ?? ''}"`);
  const kafkaClient = parseKafkaClient(env['KAFKA_CLIENT']);
  if (!kafkaClient)
    throw new ConfigError(`KAFKA_CLIENT must be one of ${KAFKA_CLIENTS.join(', ')}, got "${env['KAFKA_CLIENT']}"`);
  const mysqlUrl = env['MYSQL_URL'] ?? '';
  // The parser createDb uses: a URL it would refuse at connect time is refused here, before anything starts.
  if (!isDatabaseUrl(mysqlUrl)) throw new ConfigError('MYSQL_URL must be mysql://user:password@host:port/database');

  let shardMap: ShardMap;
  try {
    shardMap = shardMapFromEnv(env, readFile);
  } catch (err) {
    throw new ConfigError(`shard map: ${(err as Error).message}`);
  }
  // With sharding off there is one engine; two processes under different SHARD_IDs would both run it as two shards.
  if (!shardMap.shardingEnabled && shardId !== LEGACY_SHARD.shardId)
    throw new ConfigError(
      `SHARDING_ENABLED=false runs the single legacy engine: SHARD_ID must be "${LEGACY_SHARD.shardId}"`,
    );
  const shard = shardMap.shards.find((s) => s.shardId === shardId);
  if (!shard)
    throw new ConfigError(
      `SHARD_ID "${shardId}" is not in the shard map (${shardMap.shards.map((s) => s.shardId).join(', ')})`,
    );

  const leaseTtlMs = int(env, 'LEASE_TTL_MS', 10_000, 1_000, 600_000);
  return Object.freeze({
    shardId,
    httpPort: int(env, 'HTTP_PORT', 9464, 0, 65535),
    httpHost: env['HTTP_HOST'] ?? '127.0.0.1',
    kafkaBrokers: Object.freeze(brokers),
    kafkaClient,
    mysqlUrl,
    shard,
    shardMap,
    snapshotEveryCommands: int(env, 'SNAPSHOT_EVERY_COMMANDS', 10_000, 1),
    snapshotEveryMs: int(env, 'SNAPSHOT_EVERY_MS', 60_000, 1),
    depthEveryCommands: int(env, 'DEPTH_EVERY_COMMANDS', 100, 1),
    depthLevels: int(env, 'DEPTH_LEVELS', 10, 1, 1000),
    writeBatchSize: int(env, 'WRITE_BATCH_SIZE', 500, 1, 10_000),
    writeFlushMs: int(env, 'WRITE_FLUSH_MS', 50, 1, 60_000),
    writeBuffer: writeBufferMode(env),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    consumerGroup: `${consumerGroupPrefix(env)}-${shardId}`,
    snapshotPartItems: int(env, 'SNAPSHOT_PART_ITEMS', 10_000, 100, 1_000_000),
    leaseTtlMs,
    standbyPollMs: int(env, 'STANDBY_POLL_MS', 1_000, 50, 60_000),
    kafkaSessionTimeoutMs: int(env, 'KAFKA_SESSION_TIMEOUT_MS', 10_000, 6_000, 300_000),
    kafkaMaxBatchBytes: int(env, 'KAFKA_MAX_BATCH_BYTES', 1_048_576, 1_024, 64 * 1_048_576),
    livenessTimeoutMs: int(env, 'LIVENESS_TIMEOUT_MS', 90_000, 5_000, 3_600_000),
    checkpointTimeoutMs: int(env, 'CHECKPOINT_TIMEOUT_MS', 60_000, 1_000, 3_600_000),
    recoveryBackoffMaxMs: int(env, 'RECOVERY_BACKOFF_MAX_MS', 30_000, 100, 600_000),
    nodeId: env['NODE_ID'] || `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  });
}
