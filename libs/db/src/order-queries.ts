import { eventEnvelopeSchema, placeOrderPayloadSchema } from '@shardex/contracts';
import type { Knex } from 'knex';
import { DbError } from './errors';
import { stringRule } from './string-rules';
import { ORDER_STATUSES, ORDERS_TABLE, type OrderRow, type OrderStatus, TRADES_TABLE, utcDatetime } from './tables';

/**
 * The gateway's read side of the orders and trades the shards write: one user's orders and fills, page by page,
 * and a symbol's latest public trades.
 *
 * Pages are keyset pages, never OFFSET: a page starts strictly after the last row of the previous one in a total
 * order — (created_at, order_id) for orders, (executed_at, shard_id, seq) for trades — so rows inserted while a
 * client pages through (new orders, new trades, all newer than what it has seen) neither shift nor repeat what it
 * gets, and a page costs the same at any depth. Each listing reads one index range in the index's own order (see
 * migration 20261124-012 for the indexes and why each exists); where a filter needs several ranges (several
 * statuses; the taker and the maker side of fills) each range is read on its own, limited, and the few rows merged
 * by a UNION ALL — an IN list or an OR across the ranges would make the server sort every matching row instead.
 */

const ID = stringRule(placeOrderPayloadSchema.properties.userId);
const SYMBOL = stringRule(placeOrderPayloadSchema.properties.symbol);
const SHARD_ID = stringRule(eventEnvelopeSchema.properties.shardId);

/** The largest `maxLimit` a store may be configured with: each range of a listing reads up to limit + 1 rows. */
export const MAX_PAGE_LIMIT = 1000;
/** Longer than any cursor this module makes (a fills cursor with a 64-character shard id is about 170). */
const CURSOR_MAX_LENGTH = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MIN_DATETIME_MS = Date.UTC(1000, 0, 1);
const MAX_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export type Side = 'BUY' | 'SELL';
export type Liquidity = 'maker' | 'taker';

export interface OrderListOptions {
  /** Only this symbol's orders. */
  symbol?: string;
  /** Only orders in one of these statuses (non-empty); all statuses when absent. */
  statuses?: Iterable<OrderStatus>;
  /** Orders per page: 1 to the store's `maxLimit`; default the store's `defaultLimit`. */
  limit?: number;
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor?: string;
}

export interface OrderPage {
  /** Newest first: by created_at, then order id, both descending. */
  orders: OrderRow[];
  /** Where the next page starts, or null when this page is the last. Opaque. */
  nextCursor: string | null;
}

/** One trade as one of its two parties sees it. A self-trade is two fills, one per side. */
export interface Fill {
  tradeId: string;
  /** The user's own order in the trade. */
  orderId: string;
  symbol: string;
  /** The user's side: the taker's side, or the opposite one for the maker. */
  side: Side;
  price: string;
  quantity: string;
  liquidity: Liquidity;
  /** Epoch ms. */
  executedAt: number;
}

export interface FillListOptions {
  symbol?: string;
  /** Fills per page: 1 to the store's `maxLimit`; default the store's `defaultLimit`. */
  limit?: number;
  cursor?: string;
}

export interface FillPage {
  /** Newest first: by executed_at, shard, sequence, both fills of a self-trade together (taker first). */
  fills: Fill[];
  nextCursor: string | null;
}

/** A trade as anyone may see it: no order or user ids. */
export interface PublicTrade {
  tradeId: string;
  symbol: string;
  price: string;
  quantity: string;
  /** The aggressor's side. */
  takerSide: Side;
  /** Epoch ms. */
  executedAt: number;
}

export interface OrderQueries {
  /**
   * The order when it exists and belongs to `userId`, else undefined — the same answer for someone else's order as
   * for none, so a caller cannot learn which order ids exist.
   */
  getOrder(userId: string, orderId: string): Promise<OrderRow | undefined>;
  /** The user's orders, newest first, one page. */
  listOrders(userId: string, options?: OrderListOptions): Promise<OrderPage>;
  /** The user's fills on either side of its trades, newest first, one page. */
  listFills(userId: string, options?: FillListOptions): Promise<FillPage>;
  /** The symbol's latest trades, newest first. */
  recentTrades(symbol: string, limit?: number): Promise<PublicTrade[]>;
  /**
   * The quantity traded on a symbol and the number of trades executed at or after `sinceMs` (epoch ms): a rolling
   * window's volume, summed by the server in DECIMAL (exact).
   */
  tradeVolume(symbol: string, sinceMs: number): Promise<TradeVolume>;
}

export interface TradeVolume {
  /** Sum of the trades' quantities, a decimal string ('0' when none). */
  quantity: string;
  trades: number;
}

export interface OrderQueriesOptions {
  /** Rows per page when the caller names no limit; default 50. */
  defaultLimit?: number;
  /** The largest limit a caller may ask for; default 500, at most MAX_PAGE_LIMIT. */
  maxLimit?: number;
}

/**
 * DECIMAL(36,18) as the server returns it ('100.500000000000000000') → the shortest text of the same value ('100.5',
 * '0', '7'). The server's text is always plain digits with one point, never an exponent or a sign here.
 */
export function trimDecimal(text: string): string {
  const dot = text.indexOf('.');
  if (dot < 0) return text;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  return text.slice(0, end === dot + 1 ? dot : end);
}

// ---- cursors ----
// A cursor is the sort key of the last row of a page, as base64url of a JSON array tagged with its listing:
// ["o", createdAtMs, orderId] or ["f", executedAtMs, shardId, seq, "t" | "m"]. It needs no signature: it only says
// where to resume within rows the caller may see anyway (the user id never comes from it), so an altered cursor can
// only skip or repeat the caller's own rows. It is checked all the same, so that anything but a cursor this module
// made is a coded error (the gateway's 400), never a server error or a silently wrong page.

export interface OrderCursor {
  createdAt: number;
  orderId: string;
}

export interface FillCursor {
  executedAt: number;
  shardId: string;
  seq: number;
  liquidity: Liquidity;
}

function badCursor(reason: string, cause?: unknown): DbError {
  return new DbError('DB_ERR_CURSOR_INVALID', `the cursor ${reason}`, cause === undefined ? {} : { cause });
}

const encode = (key: readonly unknown[]): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

function decode(cursor: unknown, tag: string, length: number): unknown[] {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > CURSOR_MAX_LENGTH || !BASE64URL.test(cursor))
    throw badCursor(`must be 1-${CURSOR_MAX_LENGTH} characters of base64url`);
  const bytes = Buffer.from(cursor, 'base64url');
  // Node decodes leniently (stray trailing bits are dropped): only the one canonical spelling is accepted.
  if (bytes.toString('base64url') !== cursor) throw badCursor('is not canonical base64url');
  let key: unknown;
  try {
    key = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw badCursor('does not hold JSON', cause);
  }
  if (!Array.isArray(key) || key.length !== length || key[0] !== tag)
    throw badCursor(`is not a cursor of this listing`);
  return key;
}

const isTime = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= MIN_DATETIME_MS && (v as number) <= MAX_DATETIME_MS;

export function encodeOrderCursor(c: OrderCursor): string {
  return encode(['o', c.createdAt, c.orderId]);
}

export function decodeOrderCursor(cursor: unknown): OrderCursor {
  const [, createdAt, orderId] = decode(cursor, 'o', 3);
  if (!isTime(createdAt)) throw badCursor('holds an impossible time');
  if (!ID.test(orderId)) throw badCursor('holds an impossible order id');
  return { createdAt, orderId };
}

export function encodeFillCursor(c: FillCursor): string {
  return encode(['f', c.executedAt, c.shardId, c.seq, c.liquidity === 'taker' ? 't' : 'm']);
}

export function decodeFillCursor(cursor: unknown): FillCursor {
  const [, executedAt, shardId, seq, liquidity] = decode(cursor, 'f', 5);
  if (!isTime(executedAt)) throw badCursor('holds an impossible time');
  if (!SHARD_ID.test(shardId)) throw badCursor('holds an impossible shard id');
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw badCursor('holds an impossible sequence number');
  if (liquidity !== 't' && liquidity !== 'm') throw badCursor('holds an impossible side');
  return { executedAt, shardId, seq: seq as number, liquidity: liquidity === 't' ? 'taker' : 'maker' };
}

// ---- input checks ----

function invalid(message: string): DbError {
  return new DbError('DB_ERR_QUERY_INVALID', message);
}

function checkId(what: string, value: unknown): string {
  if (!ID.test(value)) throw invalid(`${what} must be ${ID.describe}`);
  return value;
}

function checkSymbol(value: unknown): string {
  if (!SYMBOL.test(value)) throw invalid(`symbol must be ${SYMBOL.describe}`);
  return value;
}

const optionalSymbol = (value: unknown): string | undefined => (value === undefined ? undefined : checkSymbol(value));

const KNOWN_STATUSES: ReadonlySet<unknown> = new Set(ORDER_STATUSES);

/** The statuses to filter on, in ORDER_STATUSES' order without repeats; undefined when every status is wanted. */
function checkStatuses(value: unknown): OrderStatus[] | undefined {
  if (value === undefined) return undefined;
  // A string is iterable too: 'NEW' would be read as 'N', 'E', 'W'.
  if (typeof value === 'string' || typeof (value as Iterable<unknown> | null)?.[Symbol.iterator] !== 'function')
    throw invalid('statuses must be a list of order statuses');
  const wanted = new Set<unknown>();
  for (const s of value as Iterable<unknown>) {
    if (!KNOWN_STATUSES.has(s)) throw invalid(`statuses must be among ${ORDER_STATUSES.join(', ')}, got ${String(s)}`);
    wanted.add(s);
  }
  // An empty filter is a caller's mistake (no filter, or "match nothing"?): refused rather than guessed.
  if (wanted.size === 0) throw invalid('statuses must name at least one status (leave it out for all)');
  if (wanted.size === ORDER_STATUSES.length) return undefined;
  return ORDER_STATUSES.filter((s) => wanted.has(s));
}

function checkLimitOption(what: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new DbError('DB_ERR_CONFIG', `${what} must be an integer from 1 to ${max}, got ${value}`);
}

// ---- rows ----

/** Every column of OrderRow: never writer_epoch or identity_conflict, which are the writers' business. */
const ORDER_COLUMNS = [
  'order_id',
  'shard_id',
  'user_id',
  'symbol',
  'side',
  'type',
  'time_in_force',
  'price',
  'quantity',
  'filled_quantity',
  'status',
  'post_only',
  'reason',
  'created_at',
  'updated_at',
  'version',
] as const;

interface OrderDbRow {
  order_id: string;
  shard_id: string;
  user_id: string;
  symbol: string;
  side: Side;
  type: OrderRow['type'];
  time_in_force: OrderRow['timeInForce'];
  /** DECIMAL as text (createDb sets decimalNumbers: false). */
  price: string | null;
  quantity: string;
  filled_quantity: string;
  status: OrderStatus;
  post_only: number | boolean;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
  /** BIGINT as text (bigNumberStrings). */
  version: string | number;
}

const toOrder = (r: OrderDbRow): OrderRow => ({
  orderId: r.order_id,
  shardId: r.shard_id,
  userId: r.user_id,
  symbol: r.symbol,
  side: r.side,
  type: r.type,
  timeInForce: r.time_in_force,
  price: r.price === null ? null : trimDecimal(r.price),
  quantity: trimDecimal(r.quantity),
  filledQuantity: trimDecimal(r.filled_quantity),
  status: r.status,
  postOnly: Boolean(r.post_only),
  reason: r.reason,
  version: Number(r.version),
  createdAt: r.created_at.getTime(),
  updatedAt: r.updated_at.getTime(),
});

interface FillDbRow {
  trade_id: string;
  shard_id: string;
  seq: string | number;
  symbol: string;
  price: string;
  quantity: string;
  order_id: string;
  taker_side: Side;
  liquidity: Liquidity;
  executed_at: Date;
}

const toFill = (r: FillDbRow): Fill => ({
  tradeId: r.trade_id,
  orderId: r.order_id,
  symbol: r.symbol,
  side: r.liquidity === 'taker' ? r.taker_side : r.taker_side === 'BUY' ? 'SELL' : 'BUY',
  price: trimDecimal(r.price),
  quantity: trimDecimal(r.quantity),
  liquidity: r.liquidity,
  executedAt: r.executed_at.getTime(),
});

type PublicTradeDbRow = Pick<FillDbRow, 'trade_id' | 'symbol' | 'price' | 'quantity' | 'taker_side' | 'executed_at'>;

const toPublicTrade = (r: PublicTradeDbRow): PublicTrade => ({
  tradeId: r.trade_id,
  symbol: r.symbol,
  price: trimDecimal(r.price),
  quantity: trimDecimal(r.quantity),
  takerSide: r.taker_side,
  executedAt: r.executed_at.getTime(),
});

const ORDERS_NEWEST_FIRST = 'created_at DESC, order_id DESC';
/** A self-trade's two fills share (executed_at, shard_id, seq): liquidity orders them, 'taker' before 'maker'. */
const FILLS_NEWEST_FIRST = 'executed_at DESC, shard_id DESC, seq DESC, liquidity DESC';
const TRADES_NEWEST_FIRST = [
  { column: 'executed_at', order: 'desc' },
  { column: 'shard_id', order: 'desc' },
  { column: 'seq', order: 'desc' },
] as const;

export function createOrderQueries(
  db: Knex,
  { defaultLimit = 50, maxLimit = 500 }: OrderQueriesOptions = {},
): OrderQueries {
  checkLimitOption('maxLimit', maxLimit, MAX_PAGE_LIMIT);
  checkLimitOption('defaultLimit', defaultLimit, maxLimit);

  const checkLimit = (value: unknown): number => {
    if (value === undefined) return defaultLimit;
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > maxLimit)
      throw invalid(`limit must be an integer from 1 to ${maxLimit}, got ${String(value)}`);
    return value as number;
  };

  /**
   * Rows of several index ranges merged into one page: each range is read in index order up to `limit` rows, and
   * only those are sorted. One range needs no merge.
   */
  const merge = async <R>(ranges: Knex.QueryBuilder[], order: string, limit: number): Promise<R[]> => {
    const [first] = ranges;
    if (ranges.length === 1 && first) return (await first) as R[];
    // knex puts each builder bound here in parentheses, which lets every SELECT of the UNION keep its own ORDER BY
    // and LIMIT (MySQL 8 and MariaDB alike).
    const [rows] = (await db.raw(`${ranges.map(() => '?').join(' UNION ALL ')} ORDER BY ${order} LIMIT ?`, [
      ...ranges,
      limit,
    ])) as [R[]];
    return rows;
  };

  return {
    async getOrder(userId, orderId) {
      const user = checkId('userId', userId);
      const order = checkId('orderId', orderId);
      // The primary key finds the row; the user id only decides whether the caller may see it.
      const row = (await db(ORDERS_TABLE).first(ORDER_COLUMNS).where({ order_id: order, user_id: user })) as
        OrderDbRow | undefined;
      return row && toOrder(row);
    },

    async listOrders(userId, options = {}) {
      const user = checkId('userId', userId);
      const symbol = optionalSymbol(options.symbol);
      const statuses = checkStatuses(options.statuses);
      const limit = checkLimit(options.limit);
      const after = options.cursor === undefined ? undefined : decodeOrderCursor(options.cursor);

      // Without a status filter: ix_orders_user_created; with one: ix_orders_user_status_created, one range each.
      // Both end in order_id (InnoDB appends the primary key), so the page's order is the index's.
      const range = (status: OrderStatus | undefined) => {
        const q = db(ORDERS_TABLE).select(ORDER_COLUMNS).where('user_id', user);
        if (status !== undefined) q.where('status', status);
        if (symbol !== undefined) q.where('symbol', symbol);
        if (after) {
          const at = utcDatetime(after.createdAt);
          // (created_at, order_id) < (at, id), spelled out: neither server turns a row comparison into a range.
          q.where('created_at', '<=', at).where((k) =>
            k
              .where('created_at', '<', at)
              .orWhere((eq) => eq.where('created_at', at).where('order_id', '<', after.orderId)),
          );
        }
        return q
          .orderBy('created_at', 'desc')
          .orderBy('order_id', 'desc')
          .limit(limit + 1);
      };

      const rows = await merge<OrderDbRow>(
        statuses === undefined ? [range(undefined)] : statuses.map(range),
        ORDERS_NEWEST_FIRST,
        limit + 1,
      );
      const orders = rows.slice(0, limit).map(toOrder);
      const last = orders[orders.length - 1];
      return {
        orders,
        nextCursor:
          rows.length > limit && last ? encodeOrderCursor({ createdAt: last.createdAt, orderId: last.orderId }) : null,
      };
    },

    async listFills(userId, options = {}) {
      const user = checkId('userId', userId);
      const symbol = optionalSymbol(options.symbol);
      const limit = checkLimit(options.limit);
      const after = options.cursor === undefined ? undefined : decodeFillCursor(options.cursor);

      // One range per side of the trade (ix_trades_taker_time, ix_trades_maker_time): an OR of the two user columns
      // could use neither index for the order and would sort every trade of the user.
      const range = (liquidity: Liquidity) => {
        const q = db(TRADES_TABLE)
          .select(
            'trade_id',
            'shard_id',
            'seq',
            'symbol',
            'price',
            'quantity',
            `${liquidity}_order_id as order_id`,
            'taker_side',
            'executed_at',
            db.raw('? AS liquidity', [liquidity]),
          )
          .where(`${liquidity}_user_id`, user);
        if (symbol !== undefined) q.where('symbol', symbol);
        if (after) {
          const at = utcDatetime(after.executedAt);
          // (executed_at, shard_id, seq, liquidity) < the cursor's key. Within one trade 'maker' < 'taker': after a
          // page that ended on the taker fill of a self-trade, its maker fill (same trade) comes next.
          const seqOp = liquidity === 'maker' && after.liquidity === 'taker' ? '<=' : '<';
          q.where('executed_at', '<=', at).where((k) =>
            k
              .where('executed_at', '<', at)
              .orWhere((eq) =>
                eq
                  .where('executed_at', at)
                  .where((s) =>
                    s
                      .where('shard_id', '<', after.shardId)
                      .orWhere((same) => same.where('shard_id', after.shardId).where('seq', seqOp, after.seq)),
                  ),
              ),
          );
        }
        return q
          .orderBy('executed_at', 'desc')
          .orderBy('shard_id', 'desc')
          .orderBy('seq', 'desc')
          .limit(limit + 1);
      };

      const rows = await merge<FillDbRow>([range('taker'), range('maker')], FILLS_NEWEST_FIRST, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        fills: page.map(toFill),
        nextCursor:
          rows.length > limit && last
            ? encodeFillCursor({
                executedAt: last.executed_at.getTime(),
                shardId: last.shard_id,
                seq: Number(last.seq),
                liquidity: last.liquidity,
              })
            : null,
      };
    },

    async recentTrades(symbol, limit) {
      const sym = checkSymbol(symbol);
      const n = checkLimit(limit);
      const rows = (await db(TRADES_TABLE)
        .select('trade_id', 'symbol', 'price', 'quantity', 'taker_side', 'executed_at')
        .where('symbol', sym)
        .orderBy([...TRADES_NEWEST_FIRST])
        .limit(n)) as PublicTradeDbRow[];
      return rows.map(toPublicTrade);
    },

    async tradeVolume(symbol, sinceMs) {
      const sym = checkSymbol(symbol);
      if (!isTime(sinceMs)) throw invalid('sinceMs must be an epoch time in ms within DATETIME range');
      // The symbol index's range (symbol, executed_at ≥ since); SUM over DECIMAL(36,18) stays exact on the server.
      const row = (await db(TRADES_TABLE)
        .where('symbol', sym)
        .where('executed_at', '>=', utcDatetime(sinceMs))
        .first(db.raw('COALESCE(SUM(quantity), 0) AS quantity'), db.raw('COUNT(*) AS trades'))) as
        { quantity: string | number; trades: string | number } | undefined;
      return { quantity: trimDecimal(String(row?.quantity ?? '0')), trades: Number(row?.trades ?? 0) };
    },
  };
}
