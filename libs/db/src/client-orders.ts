import { placeOrderPayloadSchema } from '@shardex/contracts';
import type { Knex } from 'knex';
import { DbError, isDuplicateKey, isTransactionConflict } from './errors';
import { stringRule } from './string-rules';
import { CLIENT_ORDERS_TABLE, utcDatetime } from './tables';

/**
 * The gateway's clientOrderId idempotency: a retry of `POST /v1/orders` with the same clientOrderId from the same
 * user gets the original order id and never creates a second order, for `retentionMs` (≥ 24 h) after it was placed.
 *
 * The gateway's sequence, and why each step is where it is:
 * 1. `reserve` the (user, clientOrderId) → orderId mapping with the exact command, *before* producing it: once a
 *    command may be in Kafka, a retry must find it.
 * 2. Produce the command; 3. `markSent` once Kafka acknowledged it.
 * A retry whose `reserve` finds a `sent` row answers with its order id and sends nothing (re-sending it after the
 * engine's de-dup window would execute it twice). A `pending` row (the first attempt failed or is in flight) is
 * re-sent exactly as stored — same orderId and commandId, which the engine de-duplicates — and then marked sent.
 */

const ID = stringRule(placeOrderPayloadSchema.properties.userId);
const SYMBOL = stringRule(placeOrderPayloadSchema.properties.symbol);
/** What a clientOrderId may be: 1-64 printable ASCII characters, no spaces (Coinbase's rule is looser; ours is a key). */
export const CLIENT_ORDER_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;
/** A MEDIUMTEXT holds 2^24 - 1 bytes. */
const MAX_COMMAND_BYTES = 16_777_215;
/** The shortest retention the store accepts: the gateway promises idempotency for 24 hours. */
export const MIN_CLIENT_ORDER_RETENTION_MS = 24 * 3600_000;
/** Attempts of `reserve` when the row it collided with is gone before it could be read (purged in between). */
const RESERVE_ATTEMPTS = 3;

export type ClientOrderState = 'pending' | 'sent';

/** A stored reservation. */
export interface ClientOrder {
  userId: string;
  clientOrderId: string;
  orderId: string;
  symbol: string;
  /** The command exactly as reserved (the JSON sent to Kafka). */
  command: string;
  /** `pending` until `markSent`: the command may or may not have reached Kafka. */
  state: ClientOrderState;
  /** The `at` of the reservation, millisecond precision. */
  createdAt: Date;
  /** The `at` of `markSent`; null while pending. */
  sentAt: Date | null;
}

export interface ClientOrderReservationInput {
  userId: string;
  clientOrderId: string;
  /** A newly generated order id: never used before, by any reservation. */
  orderId: string;
  symbol: string;
  /** The command about to be sent, as its JSON text. */
  command: string;
  /** When the order is placed (the gateway's clock); the retention counts from it. */
  at: Date;
}

/** `fresh: true`: this call created the row, send the command. Otherwise the row that was already there. */
export type ClientOrderReservation = { fresh: true } | ({ fresh: false } & ClientOrder);

export interface ClientOrderStore {
  /**
   * Records the mapping and the command unless the (userId, clientOrderId) pair is already taken, in which case the
   * existing row is returned unchanged. Throws DB_ERR_CLIENT_ORDER_INVALID for bad input (before any query) and
   * DB_ERR_ORDER_ID_TAKEN when the order id belongs to another reservation.
   */
  reserve(input: ClientOrderReservationInput): Promise<ClientOrderReservation>;
  /**
   * `reserve` for many keys in two statements (one multi-row insert that leaves existing keys alone, one read
   * back), for a gateway that gathers the reservations of concurrent requests: one round trip and one commit for
   * all of them instead of one each. The answers are in input order; an input that `reserve` would refuse gets its
   * DbError in its place (the others are unaffected). Throws only when the database fails.
   */
  reserveMany(inputs: readonly ClientOrderReservationInput[]): Promise<Array<ClientOrderReservation | DbError>>;
  /** pending → sent; true when this call changed it, false when it was already sent or does not exist. */
  markSent(userId: string, clientOrderId: string, at: Date): Promise<boolean>;
  /** `markSent` for many keys in one statement; returns how many rows it changed. */
  markSentMany(keys: ReadonlyArray<{ userId: string; clientOrderId: string }>, at: Date): Promise<number>;
  /** The reservation, or undefined. */
  find(userId: string, clientOrderId: string): Promise<ClientOrder | undefined>;
  /** The reservation holding `orderId`, only if it is `userId`'s (undefined otherwise, as for no reservation). */
  findByOrderId(userId: string, orderId: string): Promise<ClientOrder | undefined>;
  /**
   * Deletes the reservations created before `now - retentionMs`, oldest first, `batch` rows per statement (each
   * its own short transaction, so the purge never holds many locks for long); returns how many it deleted.
   */
  purge(now: Date, options?: { batch?: number }): Promise<number>;
}

export interface ClientOrderStoreOptions {
  /** How long a reservation is kept, ms; at least 24 h, default 7 days. */
  retentionMs?: number;
}

function invalid(message: string): DbError {
  return new DbError('DB_ERR_CLIENT_ORDER_INVALID', message);
}

function checkId(what: string, value: unknown): string {
  if (!ID.test(value)) throw invalid(`${what} must be ${ID.describe}`);
  return value;
}

function checkClientOrderId(value: unknown): string {
  if (typeof value !== 'string' || !CLIENT_ORDER_ID_PATTERN.test(value))
    throw invalid('clientOrderId must be 1-64 printable ASCII characters without spaces');
  return value;
}

function checkSymbol(value: unknown): string {
  if (!SYMBOL.test(value)) throw invalid(`symbol must be ${SYMBOL.describe}`);
  return value;
}

function checkCommand(value: unknown): string {
  // length first: a string too long for the column in UTF-16 units is too long in UTF-8 bytes as well.
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_COMMAND_BYTES ||
    Buffer.byteLength(value, 'utf8') > MAX_COMMAND_BYTES
  )
    throw invalid(`command must be a non-empty string of at most ${MAX_COMMAND_BYTES} UTF-8 bytes`);
  return value;
}

/** A Date → the DATETIME(3) literal, refusing invalid dates and years outside 1000-9999 as bad input. */
function checkTime(what: string, value: unknown): string {
  if (!(value instanceof Date)) throw invalid(`${what} must be a Date`);
  try {
    return utcDatetime(value.getTime());
  } catch (cause) {
    throw new DbError('DB_ERR_CLIENT_ORDER_INVALID', `${what} must be a valid date in years 1000-9999`, { cause });
  }
}

interface ClientOrderDbRow {
  user_id: string;
  client_order_id: string;
  order_id: string;
  symbol: string;
  command: string;
  state: ClientOrderState;
  created_at: Date;
  sent_at: Date | null;
}

const fromRow = (r: ClientOrderDbRow): ClientOrder => ({
  userId: r.user_id,
  clientOrderId: r.client_order_id,
  orderId: r.order_id,
  symbol: r.symbol,
  command: r.command,
  state: r.state,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

export function createClientOrderStore(
  db: Knex,
  { retentionMs = 7 * 24 * 3600_000 }: ClientOrderStoreOptions = {},
): ClientOrderStore {
  if (!Number.isSafeInteger(retentionMs) || retentionMs < MIN_CLIENT_ORDER_RETENTION_MS)
    throw new DbError(
      'DB_ERR_CONFIG',
      `retentionMs must be an integer >= ${MIN_CLIENT_ORDER_RETENTION_MS} (24 h), got ${retentionMs}`,
    );

  const read = async (userId: string, clientOrderId: string) => {
    const row = (await db(CLIENT_ORDERS_TABLE).where({ user_id: userId, client_order_id: clientOrderId }).first()) as
      ClientOrderDbRow | undefined;
    return row && fromRow(row);
  };

  const checked = (input: ClientOrderReservationInput) => ({
    userId: checkId('userId', input?.userId),
    clientOrderId: checkClientOrderId(input?.clientOrderId),
    orderId: checkId('orderId', input?.orderId),
    symbol: checkSymbol(input?.symbol),
    command: checkCommand(input?.command),
    createdAt: checkTime('at', input?.at),
  });

  const store: ClientOrderStore = {
    async reserve(input) {
      const { userId, clientOrderId, orderId, symbol, command, createdAt } = checked(input);

      for (let attempt = 1; ; attempt++) {
        try {
          // A plain INSERT: the primary key decides between concurrent reservations of one key, atomically.
          await db(CLIENT_ORDERS_TABLE).insert({
            user_id: userId,
            client_order_id: clientOrderId,
            order_id: orderId,
            symbol,
            command,
            state: 'pending',
            created_at: createdAt,
            sent_at: null,
          });
          return { fresh: true };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          // Which key collided is told by reading rather than by parsing the server's message, whose wording differs
          // between MySQL 8 ('client_orders.PRIMARY') and MariaDB ('PRIMARY'). The colliding row is committed: a
          // failed INSERT waits for an uncommitted duplicate to commit or roll back before it reports.
          const existing = await read(userId, clientOrderId);
          if (existing) return { fresh: false, ...existing };
          const holder = (await db(CLIENT_ORDERS_TABLE).where({ order_id: orderId }).first('user_id')) as
            Pick<ClientOrderDbRow, 'user_id'> | undefined;
          if (holder)
            throw new DbError(
              'DB_ERR_ORDER_ID_TAKEN',
              `order id ${orderId} is already reserved under another clientOrderId`,
              { cause: err },
            );
          // Neither is there any more: the row we collided with was purged in between. Insert again.
          if (attempt >= RESERVE_ATTEMPTS) throw err;
        }
      }
    },

    async reserveMany(inputs) {
      const answers: Array<ClientOrderReservation | DbError | undefined> = new Array(inputs.length);
      const rows: Array<ReturnType<typeof checked> & { index: number }> = [];
      inputs.forEach((input, index) => {
        try {
          rows.push({ ...checked(input), index });
        } catch (err) {
          answers[index] = err as DbError;
        }
      });
      if (rows.length === 0) return answers as Array<ClientOrderReservation | DbError>;
      // Existing keys are left as they are (the no-op update), in one atomic statement; which input created its row
      // is told by reading the rows back: a row holding the input's own (never reused) order id is that input's.
      const insert = db(CLIENT_ORDERS_TABLE)
        .insert(
          rows.map((r) => ({
            user_id: r.userId,
            client_order_id: r.clientOrderId,
            order_id: r.orderId,
            symbol: r.symbol,
            command: r.command,
            state: 'pending',
            created_at: r.createdAt,
            sent_at: null,
          })),
        )
        .toSQL()
        .toNative();
      // Concurrent multi-row inserts into one unique index can deadlock; the statement is atomic and idempotent, so
      // it is simply run again (a deadlock must not turn a whole batch of orders into 503s).
      for (let attempt = 1; ; attempt++) {
        try {
          await db.raw(`${insert.sql} ON DUPLICATE KEY UPDATE user_id = user_id`, insert.bindings as Knex.RawBinding[]);
          break;
        } catch (err) {
          if (!isTransactionConflict(err) || attempt >= RESERVE_ATTEMPTS) throw err;
        }
      }
      const found = (await db(CLIENT_ORDERS_TABLE).whereIn(
        ['user_id', 'client_order_id'],
        rows.map((r) => [r.userId, r.clientOrderId]),
      )) as ClientOrderDbRow[];
      const byKey = new Map(found.map((f) => [`${f.user_id}\u0000${f.client_order_id}`, f]));
      for (const r of rows) {
        const row = byKey.get(`${r.userId}\u0000${r.clientOrderId}`);
        if (row && row.order_id === r.orderId) answers[r.index] = { fresh: true };
        else if (row) answers[r.index] = { fresh: false, ...fromRow(row) };
        else {
          // No row for the key: its order id collided with another key's, or the row was purged in between. The
          // single-row path tells which, and inserts again in the second case.
          answers[r.index] = await store
            .reserve(inputs[r.index] as ClientOrderReservationInput)
            .catch((err: unknown) => {
              if (err instanceof DbError) return err;
              throw err;
            });
        }
      }
      return answers as Array<ClientOrderReservation | DbError>;
    },

    async markSentMany(keys, at) {
      const sentAt = checkTime('at', at);
      const pairs: Array<[string, string]> = keys.map((k) => [
        checkId('userId', k?.userId),
        checkClientOrderId(k?.clientOrderId),
      ]);
      if (pairs.length === 0) return 0;
      // In key order, so two batches in flight lock their rows in the same order; a deadlock with the reservations'
      // inserts (seen under load) rolls the statement back whole, and running it again is harmless.
      const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      pairs.sort(([u1, c1], [u2, c2]) => order(u1, u2) || order(c1, c2));
      for (let attempt = 1; ; attempt++) {
        try {
          return await db(CLIENT_ORDERS_TABLE)
            .whereIn(['user_id', 'client_order_id'], pairs)
            .andWhere({ state: 'pending' })
            .update({ state: 'sent', sent_at: sentAt });
        } catch (err) {
          if (!isTransactionConflict(err) || attempt >= RESERVE_ATTEMPTS) throw err;
        }
      }
    },

    async markSent(userId, clientOrderId, at) {
      const user = checkId('userId', userId);
      const key = checkClientOrderId(clientOrderId);
      const sentAt = checkTime('at', at);
      const changed = await db(CLIENT_ORDERS_TABLE)
        .where({ user_id: user, client_order_id: key, state: 'pending' })
        .update({ state: 'sent', sent_at: sentAt });
      return changed > 0;
    },

    async find(userId, clientOrderId) {
      return read(checkId('userId', userId), checkClientOrderId(clientOrderId));
    },

    async findByOrderId(userId, orderId) {
      const row = (await db(CLIENT_ORDERS_TABLE)
        .where({ order_id: checkId('orderId', orderId), user_id: checkId('userId', userId) })
        .first()) as ClientOrderDbRow | undefined;
      return row && fromRow(row);
    },

    async purge(now, { batch = 10_000 } = {}) {
      if (!Number.isSafeInteger(batch) || batch < 1)
        throw new DbError('DB_ERR_CONFIG', `batch must be an integer >= 1, got ${batch}`);
      if (!(now instanceof Date)) throw invalid('now must be a Date');
      const cutoff = checkTime('now - retentionMs', new Date(now.getTime() - retentionMs));
      let deleted = 0;
      for (;;) {
        // Single-table DELETE ... ORDER BY ... LIMIT runs on MySQL 8 and MariaDB alike; through the created_at
        // index it locks only the rows (and gaps) of one batch, for one autocommitted statement.
        const [result] = (await db.raw('DELETE FROM ?? WHERE created_at < ? ORDER BY created_at LIMIT ?', [
          CLIENT_ORDERS_TABLE,
          cutoff,
          batch,
        ])) as [{ affectedRows: number }];
        deleted += result.affectedRows;
        if (result.affectedRows < batch) return deleted;
      }
    },
  };
  return store;
}
