import type { Logger } from '@shardex/contracts';
import knex, { type Knex } from 'knex';
import { DbError } from './errors';

export interface DbOptions {
  /** `mysql://user:password@host:port/database` */
  url: string;
  /** Connection pool bounds; default 0-10. */
  poolMin?: number;
  poolMax?: number;
  /** How long a query may wait for a pooled connection before failing, ms; default 10,000. */
  acquireTimeoutMs?: number;
  /** Where knex's own warnings go (pool and connection trouble); default: knex's console output. */
  logger?: Pick<Logger, 'warn' | 'error'>;
  /**
   * The server closes a session silent for this long, seconds (its `wait_timeout`), rolling back what it had open —
   * so a process frozen in the middle of a transaction (paused, partitioned) cannot hold its row locks, and with
   * them the shard, for the server's default eight hours. The pool drops idle connections at half of it, so it
   * never hands out one the server is about to close. Default: the server's setting.
   */
  idleSessionTimeoutS?: number;
}

export interface MysqlConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseDatabaseUrl(url: string): MysqlConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new DbError('DB_ERR_CONFIG', `not a URL: "${url}"`, { cause });
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (u.protocol !== 'mysql:' || !u.hostname || !u.username || !database) {
    throw new DbError(
      'DB_ERR_CONFIG',
      `expected mysql://user:password@host:port/database, got "${url.replace(/:[^:@/]*@/, ':***@')}"`,
    );
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
  };
}

/** Whether `url` is one createDb accepts (what the apps' configs check before anything connects). */
export function isDatabaseUrl(url: string): boolean {
  try {
    parseDatabaseUrl(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every session runs strict and in UTC, whatever the server's defaults: a value that does not fit its column is an
 * error (never a silent truncation with a warning), CHECK constraints bite the same way on MySQL 8 and MariaDB, and
 * NOW() compares with stored DATETIMEs (lease expiry) in one time zone across processes.
 */
export const SESSION_SETUP =
  "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'";

interface RawConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

/**
 * A knex instance on mysql2, set up for money: DECIMAL and BIGINT come back as exact strings (never floats),
 * timestamps are UTC, and several statements never share one call.
 */
export function createDb({
  url,
  poolMin = 0,
  poolMax = 10,
  acquireTimeoutMs = 10_000,
  logger,
  idleSessionTimeoutS,
}: DbOptions): Knex {
  if (!Number.isInteger(poolMin) || !Number.isInteger(poolMax) || poolMin < 0 || poolMax < 1 || poolMin > poolMax) {
    throw new DbError('DB_ERR_CONFIG', `pool bounds must be integers with 0 <= poolMin <= poolMax, poolMax >= 1`);
  }
  if (idleSessionTimeoutS !== undefined && (!Number.isInteger(idleSessionTimeoutS) || idleSessionTimeoutS < 2))
    throw new DbError('DB_ERR_CONFIG', 'idleSessionTimeoutS must be an integer >= 2');
  const setup =
    idleSessionTimeoutS === undefined
      ? SESSION_SETUP
      : `${SESSION_SETUP}, wait_timeout = ${idleSessionTimeoutS}, interactive_timeout = ${idleSessionTimeoutS}`;
  return knex({
    client: 'mysql2',
    connection: {
      ...parseDatabaseUrl(url),
      charset: 'utf8mb4',
      timezone: 'Z',
      decimalNumbers: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: false,
      multipleStatements: false,
    },
    pool: {
      min: poolMin,
      max: poolMax,
      ...(idleSessionTimeoutS !== undefined && { idleTimeoutMillis: (idleSessionTimeoutS * 1000) / 2 }),
      afterCreate: (conn: RawConnection, done: (err: Error | null, conn: RawConnection) => void) =>
        conn.query(setup, (err) => done(err, conn)),
    },
    acquireConnectionTimeout: acquireTimeoutMs,
    ...(logger && {
      log: {
        warn: (message: unknown) => logger.warn({ source: 'knex', message }),
        error: (message: unknown) => logger.error({ source: 'knex', message }),
        deprecate: (method: string, alternative: string) =>
          logger.warn({ source: 'knex', method, alternative }, 'deprecated'),
        debug: () => undefined,
      },
    }),
  });
}
