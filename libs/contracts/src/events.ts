import type { OrderType, Side, TimeInForce } from './commands';
import type { ContractErrorCode } from './errors';

export const EVENT_CODES = [
  'ORDER_ACCEPTED',
  'ORDER_REJECTED',
  'TRADE',
  'ORDER_UPDATED',
  'ORDER_FILLED',
  'ORDER_CANCELED',
  'ORDER_EXPIRED',
  'ENGINE_STATE',
  'DEPTH',
] as const;
export type EventCode = (typeof EVENT_CODES)[number];

/** Why the engine refused a command. */
export const REJECT_REASONS = {
  ENGINE_NOT_RUNNING: 'The shard is not RUNNING (orders are consumed only after START_ENGINE).',
  UNKNOWN_SYMBOL: 'No instrument with this symbol is loaded on the shard.',
  DUPLICATE_ORDER_ID:
    'An order with this id was already accepted by the shard (it is open, or was accepted within the de-duplication window).',
  DUPLICATE_COMMAND:
    'This commandId was already applied within the de-duplication window; the first one’s result stands.',
  STALE_COMMAND:
    'issuedAt is older than the de-duplication window behind the newest command the shard has seen, so it cannot be checked for duplicates.',
  MAX_OPEN_ORDERS: 'The symbol’s open-order cap (maxOpenOrders) is reached.',
  MAX_OPEN_ORDERS_PER_USER: 'The user’s open-order cap on the symbol (maxOpenOrdersPerUser) is reached.',
  INVALID_PRICE: 'The price failed validation; `detail` has the money error code.',
  INVALID_QUANTITY: 'The quantity failed validation; `detail` has the money error code.',
  INVALID_ORDER: 'The combination of type, time in force, price and flags is not allowed.',
  POST_ONLY_WOULD_TAKE: 'A post-only order would have traded on arrival.',
  ORDER_NOT_FOUND:
    'No open order with this id (never placed, already filled, canceled or expired); for CANCEL_ALL_ORDERS, the user has no open order on the symbol.',
  NOT_ORDER_OWNER: 'The order belongs to another user.',
  MALFORMED_COMMAND: 'The message could not be decoded; `detail` has the codec error code.',
  INVALID_INSTRUMENTS: 'INITIALIZE_ENGINE carried an invalid instrument list.',
  INVALID_STATE: 'The lifecycle command is not allowed in the current engine state.',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

export type CancelReason = 'USER' | 'SELF_TRADE_PREVENTION';
/** IOC and FOK: the untraded rest; PRICE_BAND: a market order reached its band; NO_LIQUIDITY: nothing to trade with. */
export type ExpireReason = 'IOC' | 'FOK' | 'PRICE_BAND' | 'NO_LIQUIDITY';
export type EngineState = 'NEW' | 'INITIALIZED' | 'RUNNING' | 'STOPPED';

/** Fields every event carries. `seq` rises by one per event of the shard; (shardId, seq) identifies an event. */
export interface EventBase<C extends EventCode, P> {
  shardId: string;
  seq: number;
  code: C;
  /** The command that caused it; absent for events the engine emits on its own (DEPTH). */
  commandId?: string;
  payload: P;
}

export interface OrderAcceptedPayload {
  orderId: string;
  userId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Absent for MARKET orders. */
  price?: string;
  quantity: string;
  postOnly: boolean;
}

export interface OrderRejectedPayload {
  orderId?: string;
  userId?: string;
  symbol?: string;
  reason: RejectReason;
  /** A finer code, e.g. MONEY_ERR_OFF_TICK for INVALID_PRICE. */
  detail?: ContractErrorCode;
  message: string;
}

export interface TradePayload {
  /** `<shardId>-<seq>`: deterministic, unique across shards. */
  tradeId: string;
  symbol: string;
  price: string;
  quantity: string;
  takerOrderId: string;
  takerUserId: string;
  makerOrderId: string;
  makerUserId: string;
  takerSide: Side;
}

interface OrderProgress {
  orderId: string;
  userId: string;
  symbol: string;
  filledQuantity: string;
}

export interface OrderUpdatedPayload extends OrderProgress {
  status: 'PARTIALLY_FILLED';
  remainingQuantity: string;
}

export type OrderFilledPayload = OrderProgress;

export interface OrderCanceledPayload extends OrderProgress {
  canceledQuantity: string;
  reason: CancelReason;
}

export interface OrderExpiredPayload extends OrderProgress {
  expiredQuantity: string;
  reason: ExpireReason;
}

export interface EngineStatePayload {
  state: EngineState;
  previous: EngineState;
  symbols: string[];
}

export interface DepthPayload {
  symbol: string;
  /** Best first: [price, quantity]. */
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

export type OrderAcceptedEvent = EventBase<'ORDER_ACCEPTED', OrderAcceptedPayload>;
export type OrderRejectedEvent = EventBase<'ORDER_REJECTED', OrderRejectedPayload>;
export type TradeEvent = EventBase<'TRADE', TradePayload>;
export type OrderUpdatedEvent = EventBase<'ORDER_UPDATED', OrderUpdatedPayload>;
export type OrderFilledEvent = EventBase<'ORDER_FILLED', OrderFilledPayload>;
export type OrderCanceledEvent = EventBase<'ORDER_CANCELED', OrderCanceledPayload>;
export type OrderExpiredEvent = EventBase<'ORDER_EXPIRED', OrderExpiredPayload>;
export type EngineStateEvent = EventBase<'ENGINE_STATE', EngineStatePayload>;
export type DepthEvent = EventBase<'DEPTH', DepthPayload>;

export type EngineEvent =
  | OrderAcceptedEvent
  | OrderRejectedEvent
  | TradeEvent
  | OrderUpdatedEvent
  | OrderFilledEvent
  | OrderCanceledEvent
  | OrderExpiredEvent
  | EngineStateEvent
  | DepthEvent;

export function tradeId(shardId: string, seq: number): string {
  return `${shardId}-${seq}`;
}
