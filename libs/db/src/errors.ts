import { CodedError } from '@shardex/contracts';

/** Errors of the database adapter. */
export const DB_ERROR_CODES = {
  DB_ERR_CONFIG: "The database URL, the pool settings or a store's options are invalid.",
  DB_ERR_MIGRATION: 'A migration failed; the message names it and the server error.',
  DB_ERR_FENCED:
    'A write was refused because the shard lease moved to another epoch: a newer writer owns the shard, this one must stop.',
  DB_ERR_JOURNAL_CONFLICT:
    'A preload journal entry already exists for that offset: an ordering decision, once recorded, is never made again.',
  DB_ERR_SNAPSHOT_CORRUPT: 'A stored snapshot is incomplete or unreadable (missing chunks, bad gzip or JSON).',
  DB_ERR_API_KEY_INVALID:
    "An API key cannot be issued or listed for that input: the user id must be 1-64 characters of [A-Za-z0-9._:-] (the order commands' rule), a label 1-128 characters without control characters.",
  DB_ERR_CLIENT_ORDER_INVALID:
    "A clientOrderId store call was refused before reaching the database: the user id and order id must follow the order commands' id rule (1-64 characters of [A-Za-z0-9._:-]), the symbol theirs, the clientOrderId 1-64 printable ASCII characters without spaces, the command a non-empty string that fits a MEDIUMTEXT, and times valid dates within the DATETIME range.",
  DB_ERR_ORDER_ID_TAKEN:
    'A clientOrderId reservation named an order id that another reservation already holds: order ids are generated once per order and must never be reused, so this is a bug of the caller, not a retry.',
  DB_ERR_INSTRUMENTS_INVALID:
    "An instrument set was refused before reaching the database, all of it: the message (and the error's `problems`) lists every problem, each with its position and symbol — a spec that does not compile, a shard id that is not 1-64 characters of [A-Za-z0-9._:-], a symbol listed twice, a shard owning more instruments than one INITIALIZE_ENGINE carries, an empty set, a bad time or createdBy. Also a version to load that is not a positive integer.",
  DB_ERR_INSTRUMENTS_CORRUPT:
    'A stored instrument set cannot be read back whole: a spec is not JSON, no longer compiles or names another symbol, or instrument rows are missing; the message names the version and the symbol. Nothing is skipped: fix or republish the set.',
  DB_ERR_QUERY_INVALID:
    "An order, fill or trade query was refused before reaching the database: the user id and order id must follow the order commands' id rule (1-64 characters of [A-Za-z0-9._:-]), the symbol theirs, a status filter a non-empty list of order statuses, and the limit an integer from 1 to the store's maximum (500 by default).",
  DB_ERR_CURSOR_INVALID:
    'A page cursor was refused before reaching the database: it is not one that this listing handed out (malformed, altered, or from another listing). Ask for the first page again.',
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
  BAD_NULL: 1048,
  DATA_OUT_OF_RANGE: 1264,
  DATA_TRUNCATED: 1265,
  TRUNCATED_WRONG_VALUE: 1292,
  TRUNCATED_WRONG_VALUE_FOR_FIELD: 1366,
  ILLEGAL_VALUE_FOR_TYPE: 1367,
  DATA_TOO_LONG: 1406,
  WRONG_VALUE_FOR_TYPE: 1411,
  NUMERIC_OUT_OF_RANGE: 1690,
  /** MySQL 8: a CHECK constraint failed. */
  CHECK_CONSTRAINT_VIOLATED: 3819,
  /** MariaDB: a CHECK constraint failed. */
  CONSTRAINT_FAILED: 4025,
} as const;

/**
 * Errors caused by the content of a row (a value out of range, too long, an invalid date, a guarded column that
 * must not change): the same row fails the same way on every attempt, so retrying it can never succeed.
 */
const ROW_DATA_ERRNOS: ReadonlySet<number> = new Set([
  MYSQL_ERRNO.BAD_NULL,
  MYSQL_ERRNO.DATA_OUT_OF_RANGE,
  MYSQL_ERRNO.DATA_TRUNCATED,
  MYSQL_ERRNO.TRUNCATED_WRONG_VALUE,
  MYSQL_ERRNO.TRUNCATED_WRONG_VALUE_FOR_FIELD,
  MYSQL_ERRNO.ILLEGAL_VALUE_FOR_TYPE,
  MYSQL_ERRNO.DATA_TOO_LONG,
  MYSQL_ERRNO.WRONG_VALUE_FOR_TYPE,
  MYSQL_ERRNO.NUMERIC_OUT_OF_RANGE,
  MYSQL_ERRNO.CHECK_CONSTRAINT_VIOLATED,
  MYSQL_ERRNO.CONSTRAINT_FAILED,
]);

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

/**
 * A server error about the data of some row in the statement (see ROW_DATA_ERRNOS). Schema, permission, connection
 * and lock errors are not: they say nothing about a row, and dead-lettering rows for them would divert good data.
 */
export function isRowDataError(err: unknown): boolean {
  const errno = (err as DriverError | undefined)?.errno;
  return typeof errno === 'number' && ROW_DATA_ERRNOS.has(errno);
}

/** A unique or primary key already holds the value (ER_DUP_ENTRY: 1062 on MySQL and MariaDB alike). */
export function isDuplicateKey(err: unknown): boolean {
  return (err as DriverError | undefined)?.errno === MYSQL_ERRNO.DUP_ENTRY;
}

/** The lease check of a write found another epoch in charge. */
export function isFenced(err: unknown): boolean {
  return err instanceof DbError && err.code === 'DB_ERR_FENCED';
}

/**
 * A server error's name that means the same on MySQL and MariaDB. mysql2 names errors from MySQL's numbering, which
 * MariaDB does not share above 3000 (its 4025, a failed CHECK, is a MySQL InnoDB error's number): for the row-data
 * errors the portable name comes from MYSQL_ERRNO, both CHECK failures being CHECK_CONSTRAINT_VIOLATED.
 */
export function portableErrorCode(err: unknown): string | undefined {
  const e = err as DriverError | undefined;
  if (typeof e?.errno === 'number' && ROW_DATA_ERRNOS.has(e.errno)) {
    if (e.errno === MYSQL_ERRNO.CONSTRAINT_FAILED) return 'CHECK_CONSTRAINT_VIOLATED';
    return Object.entries(MYSQL_ERRNO).find(([, n]) => n === e.errno)?.[0];
  }
  return e?.code;
}
