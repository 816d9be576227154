import { CodedError } from '@shardex/contracts';

/** Errors of the database adapter. */
export const DB_ERROR_CODES = {
  DB_ERR_CONFIG: 'The database URL or pool settings are invalid.',
  DB_ERR_MIGRATION: 'A migration failed; the message names it and the server error.',
} as const;

export type DbErrorCode = keyof typeof DB_ERROR_CODES;

export class DbError extends CodedError<DbErrorCode> {
  override readonly name = 'DbError';
}

/** MySQL/MariaDB server error numbers the adapters act on. */
export const MYSQL_ERRNO = {
  DUP_ENTRY: 1062,
  LOCK_WAIT_TIMEOUT: 1205,
  LOCK_DEADLOCK: 1213,
  SERVER_SHUTDOWN: 1053,
  SERVER_GONE: 2006,
  SERVER_LOST: 2013,
} as const;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

interface DriverError {
  errno?: number;
  code?: string;
  name?: string;
  fatal?: boolean;
}

/** Deadlock or lock-wait timeout: the transaction was rolled back and running it again is the fix. */
export function isTransactionConflict(err: unknown): boolean {
  const e = err as DriverError | undefined;
  return e?.errno === MYSQL_ERRNO.LOCK_DEADLOCK || e?.errno === MYSQL_ERRNO.LOCK_WAIT_TIMEOUT;
}

/** The server or the connection went away (or the pool could not get one): retry later, data intact. */
export function isConnectionError(err: unknown): boolean {
  const e = err as DriverError | undefined;
  if (!e) return false;
  if (e.name === 'KnexTimeoutError' || e.fatal === true) return true;
  if (
    e.errno === MYSQL_ERRNO.SERVER_GONE ||
    e.errno === MYSQL_ERRNO.SERVER_LOST ||
    e.errno === MYSQL_ERRNO.SERVER_SHUTDOWN
  )
    return true;
  return e.code !== undefined && CONNECTION_CODES.has(e.code);
}
