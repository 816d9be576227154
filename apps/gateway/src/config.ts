import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KAFKA_CLIENTS, type KafkaClientName, parseBrokerList, parseKafkaClient } from '@shardex/kafka';
import { isDatabaseUrl } from '@shardex/db';
import { type ShardMap, shardMapFromEnv } from '@shardex/order-router';
import { ConfigError } from './errors';

export { ConfigError };

/** Gateway settings, parsed once at start-up from the environment and frozen. */
export interface GatewayConfig {
  /** Interface to bind (HOST); default 127.0.0.1 (containers set 0.0.0.0). */
  readonly host: string;
  /** HTTP port (PORT); default 8080, 0 for any free port. */
  readonly port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** KAFKA_BROKERS: host:port[,host:port...]. */
  readonly kafkaBrokers: readonly string[];
  /** KAFKA_CLIENT: the Kafka client library under the ports. */
  readonly kafkaClient: KafkaClientName;
  /** MYSQL_URL: mysql://user:password@host:port/database. */
  readonly mysqlUrl: string;
  /** SHARD_MAP_FILE, SHARD_MAP or SHARD_COUNT, exactly as the shards read them. */
  readonly shardMap: ShardMap;
  /** BODY_LIMIT_BYTES: larger bodies are refused with 413 before they are parsed; default 64 KiB. */
  readonly bodyLimitBytes: number;
  /** RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per API key (default 100 per 1,000 ms); 429 beyond. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** RESULT_TIMEOUT_MS: how long `responseType: "result"` waits for the shard's events; default 2,000. */
  readonly resultTimeoutMs: number;
  /** PRODUCER_LINGER_MS: how long a command waits for others to share its produce request; default 2. */
  readonly producerLingerMs: number;
  /** PRODUCER_MAX_BATCH_RECORDS: a produce request carries at most this many commands; default 500. */
  readonly producerMaxBatchRecords: number;
  /** API_KEY_CACHE_TTL_MS: how long a key's verdict is cached — the bound on how late a revocation bites; default 2,000. */
  readonly apiKeyCacheTtlMs: number;
  /** CLIENT_ORDER_RETENTION_MS: how long a clientOrderId stays bound to its order (≥ 24 h); default 7 days. */
  readonly clientOrderRetentionMs: number;
  /** INSTRUMENTS_POLL_MS: how often the instrument registry is checked for a new version; default 5,000. */
  readonly instrumentsPollMs: number;
  /** PUBLIC_RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per client address on the public routes; default 50. */
  readonly publicRateLimitMax: number;
  /** PRODUCE_TIMEOUT_MS: an order not acknowledged by Kafka within this is answered 503 (with its orderId); default 8,000. */
  readonly produceTimeoutMs: number;
  /** KAFKA_RETRIES: the producer's retries of a produce request before it fails; default 2. */
  readonly kafkaRetries: number;
  /** KAFKA_REQUEST_TIMEOUT_MS: how long one produce request may wait for the broker; default 5,000. */
  readonly kafkaRequestTimeoutMs: number;
  /** RESEND_WINDOW_MS: an unconfirmed first attempt younger than this is sent again on retry; default 30,000. */
  readonly resendWindowMs: number;
  /** MAX_CLOCK_SKEW_MS: orders are refused while this gateway's clock and MySQL's differ by more; default 5,000. */
  readonly maxClockSkewMs: number;
  /** MAX_EVENT_LOOP_DELAY_MS: above this event-loop delay the gateway answers 503 (under-pressure); default 500. */
  readonly maxEventLoopDelayMs: number;
  /** SHUTDOWN_GRACE_MS: how long a shutdown waits for in-flight requests and produces; default 15,000 (> PRODUCE_TIMEOUT_MS). */
  readonly shutdownGraceMs: number;
  /**
   * CONSUMER_GROUP_PREFIX, as the shards read it (default `shardex-engine`): `/v1/ops/status` reads each shard's input
   * lag from its group `<prefix>-<shardId>`.
   */
  readonly shardGroupPrefix: string;
  /** CONSOLE_DIR: the web console's build served at `/`; default `../console` beside the bundle (dist/apps/console). */
  readonly consoleDir: string;
}

const LEVELS: ReadonlyArray<GatewayConfig['logLevel']> = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DAY_MS = 24 * 3600_000;

export function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  // 0: any free port (tests, several gateways on one host behind a discovery layer).
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
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
): GatewayConfig {
  const logLevel = (env['LOG_LEVEL'] ?? 'info') as GatewayConfig['logLevel'];
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  const kafkaBrokers = parseBrokerList(env['KAFKA_BROKERS']);
  if (!kafkaBrokers)
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
  const produceTimeoutMs = int(env, 'PRODUCE_TIMEOUT_MS', 8_000, 100, 120_000);
  const shutdownGraceMs = int(env, 'SHUTDOWN_GRACE_MS', 15_000, 100, 600_000);
  // A shutdown must outlast the slowest produce, or requests in flight are cut off unanswered.
  if (shutdownGraceMs <= produceTimeoutMs)
    throw new ConfigError(
      `SHUTDOWN_GRACE_MS (${shutdownGraceMs}) must be larger than PRODUCE_TIMEOUT_MS (${produceTimeoutMs})`,
    );
  const shardGroupPrefix = env['CONSUMER_GROUP_PREFIX'] || 'shardex-engine';
  if (!/^[A-Za-z0-9._-]{1,120}$/.test(shardGroupPrefix))
    throw new ConfigError(`CONSUMER_GROUP_PREFIX must be 1-120 of A-Z a-z 0-9 . _ -, got "${shardGroupPrefix}"`);
  return Object.freeze({
    host: env['HOST'] ?? '127.0.0.1',
    port: parsePort('PORT', env['PORT'], 8080),
    logLevel,
    kafkaBrokers: Object.freeze(kafkaBrokers),
    kafkaClient,
    mysqlUrl,
    shardMap,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitMax: int(env, 'RATE_LIMIT_MAX', 100, 1, 10_000_000),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 1_000, 100, 3_600_000),
    resultTimeoutMs: int(env, 'RESULT_TIMEOUT_MS', 2_000, 1, 10_000),
    producerLingerMs: int(env, 'PRODUCER_LINGER_MS', 2, 0, 1_000),
    producerMaxBatchRecords: int(env, 'PRODUCER_MAX_BATCH_RECORDS', 500, 1, 10_000),
    apiKeyCacheTtlMs: int(env, 'API_KEY_CACHE_TTL_MS', 2_000, 0, 60_000),
    clientOrderRetentionMs: int(env, 'CLIENT_ORDER_RETENTION_MS', 7 * DAY_MS, DAY_MS, 365 * DAY_MS),
    instrumentsPollMs: int(env, 'INSTRUMENTS_POLL_MS', 5_000, 100, 3_600_000),
    publicRateLimitMax: int(env, 'PUBLIC_RATE_LIMIT_MAX', 50, 1, 10_000_000),
    produceTimeoutMs,
    kafkaRetries: int(env, 'KAFKA_RETRIES', 2, 0, 20),
    kafkaRequestTimeoutMs: int(env, 'KAFKA_REQUEST_TIMEOUT_MS', 5_000, 100, 120_000),
    resendWindowMs: int(env, 'RESEND_WINDOW_MS', 30_000, 1_000, 55_000),
    maxClockSkewMs: int(env, 'MAX_CLOCK_SKEW_MS', 5_000, 100, 30_000),
    maxEventLoopDelayMs: int(env, 'MAX_EVENT_LOOP_DELAY_MS', 500, 10, 60_000),
    shutdownGraceMs,
    shardGroupPrefix,
    // The bundle runs from dist/apps/gateway/main.js; the console builds to dist/apps/console.
    consoleDir: env['CONSOLE_DIR'] || path.join(__dirname, '..', 'console'),
  });
}
