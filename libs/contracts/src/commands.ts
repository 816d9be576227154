import type { InstrumentSpec, StpMode } from './instrument';

export const COMMAND_CODES = [
  'PLACE_ORDER',
  'CANCEL_ORDER',
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

/** Fields every command carries. */
export interface CommandBase<C extends CommandCode, P> {
  /** Unique per command, set by the sender; lifecycle commands are idempotent by it. */
  commandId: string;
  code: C;
  /** Epoch milliseconds, set by the sender. Informational: the engine never reads a clock. */
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

export interface CancelOrderPayload {
  orderId: string;
  /** Must own the order. */
  userId: string;
  symbol: string;
}

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
export type InitializeEngineCommand = CommandBase<'INITIALIZE_ENGINE', InitializeEnginePayload>;
export type StartEngineCommand = CommandBase<'START_ENGINE', StartEnginePayload>;
export type StopEngineCommand = CommandBase<'STOP_ENGINE', StopEnginePayload>;

export type Command =
  PlaceOrderCommand | CancelOrderCommand | InitializeEngineCommand | StartEngineCommand | StopEngineCommand;
export type OrderCommand = PlaceOrderCommand | CancelOrderCommand;
export type LifecycleCommand = InitializeEngineCommand | StartEngineCommand | StopEngineCommand;

export function isLifecycleCommand(c: Command): c is LifecycleCommand {
  return c.code === 'INITIALIZE_ENGINE' || c.code === 'START_ENGINE' || c.code === 'STOP_ENGINE';
}
