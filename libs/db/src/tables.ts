/**
 * Rows of the tables every service shares. Amounts are decimal strings (DECIMAL(36,18) columns: 18 integer and 18
 * fractional digits, enough for crypto scales); ids are case-sensitive (utf8mb4_bin).
 */

export const ORDER_STATUSES = ['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The latest known state of an order. `version` is the engine sequence of the event that produced it. */
export interface OrderRow {
  orderId: string;
  shardId: string;
  userId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'LIMIT' | 'MARKET';
  timeInForce: 'GTC' | 'IOC' | 'FOK';
  /** null for market orders. */
  price: string | null;
  quantity: string;
  filledQuantity: string;
  status: OrderStatus;
  postOnly: boolean;
  /** Why it was canceled, expired or rejected. */
  reason: string | null;
  version: number;
  /** Epoch ms: `issuedAt` of the command that placed the order. */
  createdAt: number;
  /** Epoch ms: `issuedAt` of the command behind this version. */
  updatedAt: number;
}

export interface TradeRow {
  tradeId: string;
  shardId: string;
  seq: number;
  symbol: string;
  price: string;
  quantity: string;
  takerOrderId: string;
  makerOrderId: string;
  takerUserId: string;
  makerUserId: string;
  takerSide: 'BUY' | 'SELL';
  /** Epoch ms: `issuedAt` of the taker's command. */
  executedAt: number;
}

export const ORDERS_TABLE = 'orders';
export const TRADES_TABLE = 'trades';
export const SNAPSHOTS_TABLE = 'engine_snapshots';
export const SNAPSHOT_CHUNKS_TABLE = 'engine_snapshot_chunks';
export const LEASES_TABLE = 'shard_leases';
export const PRELOAD_JOURNAL_TABLE = 'engine_preload_journal';
export const INPUT_FRONTIER_TABLE = 'engine_input_frontier';
export const DEAD_LETTERS_TABLE = 'write_dead_letters';
export const API_KEYS_TABLE = 'api_keys';
export const CLIENT_ORDERS_TABLE = 'client_orders';
export const INSTRUMENT_SETS_TABLE = 'instrument_sets';
export const INSTRUMENTS_TABLE = 'instruments';

const MIN_DATETIME_MS = Date.UTC(1000, 0, 1);
const MAX_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Epoch ms → 'YYYY-MM-DD HH:MM:SS.mmm' in UTC, the literal a DATETIME(3) column takes on MySQL and MariaDB alike.
 * Cheaper for the driver than a Date (no per-value time-zone conversion), and independent of the session zone.
 */
export function utcDatetime(ms: number): string {
  // DATETIME holds years 1000-9999; anything else is refused here, while building the row, not by the server.
  if (!Number.isFinite(ms) || ms < MIN_DATETIME_MS || ms > MAX_DATETIME_MS)
    throw new RangeError(`${ms} ms is outside the DATETIME range (years 1000-9999)`);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * Column values of an order row (`version` last: upserts compare it before it changes). `writerEpoch` is the lease
 * epoch of the process writing it (0 when no lease is in use): which writer produced a row stays visible.
 */
export function orderRecord(r: OrderRow, writerEpoch = 0): Record<string, unknown> {
  return {
    order_id: r.orderId,
    shard_id: r.shardId,
    user_id: r.userId,
    symbol: r.symbol,
    side: r.side,
    type: r.type,
    time_in_force: r.timeInForce,
    price: r.price,
    quantity: r.quantity,
    filled_quantity: r.filledQuantity,
    status: r.status,
    post_only: r.postOnly,
    reason: r.reason,
    created_at: utcDatetime(r.createdAt),
    updated_at: utcDatetime(r.updatedAt),
    writer_epoch: writerEpoch,
    version: r.version,
  };
}

export function tradeRecord(r: TradeRow, writerEpoch = 0): Record<string, unknown> {
  return {
    trade_id: r.tradeId,
    shard_id: r.shardId,
    seq: r.seq,
    symbol: r.symbol,
    price: r.price,
    quantity: r.quantity,
    taker_order_id: r.takerOrderId,
    maker_order_id: r.makerOrderId,
    taker_user_id: r.takerUserId,
    maker_user_id: r.makerUserId,
    taker_side: r.takerSide,
    executed_at: utcDatetime(r.executedAt),
    writer_epoch: writerEpoch,
  };
}

/** Columns an order upsert may change (with a newer version); `writer_epoch` says which lease epoch wrote it. */
export const ORDER_MUTABLE_COLUMNS = [
  'price',
  'quantity',
  'filled_quantity',
  'status',
  'reason',
  'updated_at',
  'writer_epoch',
] as const;

/**
 * What makes an order that order: an upsert whose row differs in any of these from the stored one is refused by the
 * database (CHECK ck_orders_identity_unchanged), so a reused order id can never turn a row into a mix of two orders.
 */
export const ORDER_IDENTITY_COLUMNS = ['shard_id', 'user_id', 'symbol', 'side', 'type', 'created_at'] as const;

/** A trade never changes: a replay must write exactly the same row (CHECK ck_trades_immutable), else it is refused. */
export const TRADE_IMMUTABLE_COLUMNS = [
  'shard_id',
  'seq',
  'symbol',
  'price',
  'quantity',
  'taker_order_id',
  'maker_order_id',
  'taker_user_id',
  'maker_user_id',
  'taker_side',
  'executed_at',
] as const;

/** A row the database refused for its content, kept with the reason instead of blocking every later write. */
export interface DeadLetterRow {
  shardId: string;
  kind: 'order' | 'trade';
  /** order_id or trade_id. */
  rowKey: string;
  /** The order row's version, the trade's seq. */
  version: number;
  /** The row as JSON. */
  payload: string;
  /** Server error code (e.g. ER_CONSTRAINT_FAILED) or the exception's name when the row could not even be built. */
  errorCode: string;
  errno: number | null;
  message: string;
}

export function deadLetterRecord(r: DeadLetterRow): Record<string, unknown> {
  return {
    shard_id: r.shardId,
    kind: r.kind,
    row_key: r.rowKey,
    version: r.version,
    payload: r.payload,
    error_code: r.errorCode.slice(0, 64),
    errno: r.errno,
    message: r.message.slice(0, 1024),
  };
}
