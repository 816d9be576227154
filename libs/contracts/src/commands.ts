import type { InstrumentSpec, StpMode } from './instrument';

export const COMMAND_CODES = [
  'PLACE_ORDER',
  'CANCEL_ORDER',
  'CANCEL_ALL_ORDERS',
  'INITIALIZE_ENGINE',
  'START_ENGINE',
  'STOP_ENGINE',
] as const;
export type CommandCode = (typeof COMMAND_CODES)[number];
export const LIFECYCLE_CODES = ['INITIALIZE_ENGINE', 'START_ENGINE', 'STOP_ENGINE'] as const;
export type LifecycleCode = (typeof LIFECYCLE_CODES)[number];

export const SIDES = ['BUY', 'SELL'] as const;
export type Side = (typeof SIDES)[number];
export const ORDER_TYPES = ['LIMIT', 'MARKET'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export const TIME_IN_FORCE = ['GTC', 'IOC', 'FOK'] as const;
export type TimeInForce = (typeof TIME_IN_FORCE)[number];

/**
 * The largest `issuedAt` the codec accepts: 9999-12-31T23:59:59.999Z. Anything later cannot be stored in a SQL
 * DATETIME: such a value once made the database write throw inside a transaction and wedged a shard.
 */
export const MAX_ISSUED_AT = 253_402_300_799_999;

/** Fields every command carries. */
export interface CommandBase<C extends CommandCode, P> {
  /**
   * Unique per command, set by the sender (1-64 of A-Z a-z 0-9 . _ : -). Lifecycle commands are idempotent by it;
   * order commands are de-duplicated by it within the shard's de-duplication window.
   */
  commandId: string;
  code: C;
  /**
   * Epoch milliseconds, set by the sender: an integer 0-MAX_ISSUED_AT. The engine never reads a clock; the largest
   * `issuedAt` of the order commands it has taken is its notion of time for de-duplication.
   */
  issuedAt: number;
  payload: P;
}

export interface PlaceOrderPayload {
  /** Assigned by the gateway; unique among the shard's orders. */
  orderId: string;
  userId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  /** MARKET orders are IOC or FOK; GTC is refused for them. */
  timeInForce: TimeInForce;
  /** Decimal string; required for LIMIT, refused for MARKET. */
  price?: string;
  /** Decimal string in base units. */
  quantity: string;
  /** LIMIT only: rejected instead of taking liquidity. */
  postOnly?: boolean;
  /** Overrides the instrument's default self-trade prevention. */
  selfTradePrevention?: StpMode;
}

/** The body of the gateway's `POST /v1/orders` (see placeOrderRequestSchema). */
export interface PlaceOrderRequest {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market';
  /** Required for limit orders, refused for market orders. */
  price?: string;
  quantity: string;
  /** Default GTC for limit orders, IOC for market orders. */
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  /** The caller's own id: a retry with the same one never places a second order. */
  clientOrderId?: string;
  /** Self-trade prevention for this order; the instrument's default otherwise. */
  stp?: StpMode;
  /** `ack` (default): answer once Kafka has the command; `result`: wait briefly for the shard's outcome. */
  responseType?: 'ack' | 'result';
}

export interface CancelOrderPayload {
  orderId: string;
  /** Must own the order. */
  userId: string;
  symbol: string;
}

/**
 * Cancels every open order of `userId` on `symbol` in one step (the gateway's `DELETE /v1/orders?symbol=`). Keyed
 * and routed by `symbol` like the other order commands, and de-duplicated by `commandId` like them.
 * - Each open order gets an ORDER_CANCELED (reason USER), in the book's priority order: bids best price first, then
 *   asks best price first, and time priority (FIFO) within a price level. That order is a function of the book
 *   alone, so a shard restored from a snapshot emits the same events as one that never stopped.
 * - No open order of the user on the symbol: one ORDER_REJECTED with ORDER_NOT_FOUND, as CANCEL_ORDER answers for
 *   an order that is not open (and as Binance answers a cancel-all with none). Every command gets an answer, so a
 *   caller waiting for the outcome hears "nothing to cancel" rather than silence. The command is still remembered
 *   for de-duplication.
 * - An unknown symbol is rejected with UNKNOWN_SYMBOL; a shard that is not RUNNING with ENGINE_NOT_RUNNING.
 */
export interface CancelAllOrdersPayload {
  /** Whose orders: only this user's open orders are canceled. */
  userId: string;
  symbol: string;
}

/**
 * Declarative: `instruments` is the shard's complete instrument set, applied all or nothing.
 * - A listed symbol the shard does not have is added; one it has is updated, except that its tick size, lot size
 *   and scales cannot change while it has open orders, and its min/max quantity and open-order caps cannot be set
 *   so that an open order falls outside them.
 * - A symbol the shard has but the list omits is removed with its book (and any pending depth update), provided it
 *   has no open orders. If any omitted symbol still has open orders, the whole command is rejected with
 *   INVALID_INSTRUMENTS naming the symbol(s), and nothing changes: cancel those orders first.
 */
export interface InitializeEnginePayload {
  instruments: InstrumentSpec[];
}

export interface StartEnginePayload {
  reason?: string;
}

export interface StopEnginePayload {
  reason?: string;
}

export type PlaceOrderCommand = CommandBase<'PLACE_ORDER', PlaceOrderPayload>;
export type CancelOrderCommand = CommandBase<'CANCEL_ORDER', CancelOrderPayload>;
export type CancelAllOrdersCommand = CommandBase<'CANCEL_ALL_ORDERS', CancelAllOrdersPayload>;
export type InitializeEngineCommand = CommandBase<'INITIALIZE_ENGINE', InitializeEnginePayload>;
export type StartEngineCommand = CommandBase<'START_ENGINE', StartEnginePayload>;
export type StopEngineCommand = CommandBase<'STOP_ENGINE', StopEnginePayload>;

export type Command =
  | PlaceOrderCommand
  | CancelOrderCommand
  | CancelAllOrdersCommand
  | InitializeEngineCommand
  | StartEngineCommand
  | StopEngineCommand;
/** Commands for one symbol: keyed by `payload.symbol` and sent to the input topic of the shard that owns it. */
export type OrderCommand = PlaceOrderCommand | CancelOrderCommand | CancelAllOrdersCommand;
export type LifecycleCommand = InitializeEngineCommand | StartEngineCommand | StopEngineCommand;

export function isLifecycleCommand(c: Command): c is LifecycleCommand {
  return c.code === 'INITIALIZE_ENGINE' || c.code === 'START_ENGINE' || c.code === 'STOP_ENGINE';
}
