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

/**
 * Epoch ms → 'YYYY-MM-DD HH:MM:SS.mmm' in UTC, the literal a DATETIME(3) column takes on MySQL and MariaDB alike.
 * Cheaper for the driver than a Date (no per-value time-zone conversion), and independent of the session zone.
 */
export function utcDatetime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Column values of an order row, in table column order (`version` last: upserts compare it before it changes). */
export function orderRecord(r: OrderRow): Record<string, unknown> {
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
    version: r.version,
  };
}

export function tradeRecord(r: TradeRow): Record<string, unknown> {
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
  };
}

/** Columns an order upsert may change; `created_at` and the identity columns never change once written. */
export const ORDER_MUTABLE_COLUMNS = [
  'price',
  'quantity',
  'filled_quantity',
  'status',
  'reason',
  'updated_at',
] as const;
