import {
  type CancelReason,
  type DepthEvent,
  type EngineEvent,
  type EngineState,
  type EngineStateEvent,
  type ExpireReason,
  type OrderAcceptedEvent,
  type OrderCanceledEvent,
  type OrderExpiredEvent,
  type OrderFilledEvent,
  type OrderRejectedEvent,
  type OrderUpdatedEvent,
  type RejectReason,
  type Side,
  type TimeInForce,
  type TradeEvent,
  tradeId,
} from '@shardex/contracts';

/** Builds a shard's events with consecutive seqs, shaped as the engine emits them. */
export class ShardEvents {
  seq: number;
  constructor(
    readonly shardId: string,
    firstSeq = 1,
  ) {
    this.seq = firstSeq - 1;
  }

  private next<E extends EngineEvent>(code: E['code'], payload: E['payload'], commandId?: string): E {
    this.seq++;
    return {
      shardId: this.shardId,
      seq: this.seq,
      code,
      ...(commandId !== undefined && { commandId }),
      payload,
    } as E;
  }

  accepted(
    o: {
      orderId: string;
      userId?: string;
      symbol?: string;
      side?: Side;
      price?: string;
      quantity?: string;
      timeInForce?: TimeInForce;
    },
    commandId = `place:${o.orderId}`,
  ): OrderAcceptedEvent {
    return this.next<OrderAcceptedEvent>(
      'ORDER_ACCEPTED',
      {
        orderId: o.orderId,
        userId: o.userId ?? 'u1',
        symbol: o.symbol ?? 'BTC-USDT',
        side: o.side ?? 'BUY',
        type: 'LIMIT',
        timeInForce: o.timeInForce ?? 'GTC',
        price: o.price ?? '100.00',
        quantity: o.quantity ?? '1.000',
        postOnly: false,
      },
      commandId,
    );
  }

  rejected(
    orderId: string,
    reason: RejectReason,
    more: { userId?: string; symbol?: string; detail?: OrderRejectedEvent['payload']['detail']; message?: string } = {},
    commandId = `place:${orderId}`,
  ): OrderRejectedEvent {
    return this.next<OrderRejectedEvent>(
      'ORDER_REJECTED',
      {
        orderId,
        userId: more.userId ?? 'u1',
        symbol: more.symbol ?? 'BTC-USDT',
        reason,
        ...(more.detail !== undefined && { detail: more.detail }),
        message: more.message ?? `rejected: ${reason}`,
      },
      commandId,
    );
  }

  trade(
    t: {
      takerOrderId: string;
      makerOrderId: string;
      takerUserId?: string;
      makerUserId?: string;
      price?: string;
      quantity?: string;
      symbol?: string;
      takerSide?: Side;
    },
    commandId = `place:${t.takerOrderId}`,
  ): TradeEvent {
    return this.next<TradeEvent>(
      'TRADE',
      {
        tradeId: tradeId(this.shardId, this.seq + 1),
        symbol: t.symbol ?? 'BTC-USDT',
        price: t.price ?? '100.00',
        quantity: t.quantity ?? '1.000',
        takerOrderId: t.takerOrderId,
        takerUserId: t.takerUserId ?? 'u1',
        makerOrderId: t.makerOrderId,
        makerUserId: t.makerUserId ?? 'u2',
        takerSide: t.takerSide ?? 'BUY',
      },
      commandId,
    );
  }

  filled(orderId: string, filledQuantity: string, commandId: string, userId = 'u1', symbol = 'BTC-USDT') {
    return this.next<OrderFilledEvent>('ORDER_FILLED', { orderId, userId, symbol, filledQuantity }, commandId);
  }

  updated(
    orderId: string,
    filledQuantity: string,
    remainingQuantity: string,
    commandId: string,
    userId = 'u1',
    symbol = 'BTC-USDT',
  ) {
    return this.next<OrderUpdatedEvent>(
      'ORDER_UPDATED',
      { orderId, userId, symbol, status: 'PARTIALLY_FILLED', filledQuantity, remainingQuantity },
      commandId,
    );
  }

  canceled(
    orderId: string,
    filledQuantity: string,
    canceledQuantity: string,
    reason: CancelReason,
    commandId: string,
    userId = 'u1',
    symbol = 'BTC-USDT',
  ) {
    return this.next<OrderCanceledEvent>(
      'ORDER_CANCELED',
      { orderId, userId, symbol, filledQuantity, canceledQuantity, reason },
      commandId,
    );
  }

  expired(
    orderId: string,
    filledQuantity: string,
    expiredQuantity: string,
    reason: ExpireReason,
    commandId: string,
    userId = 'u1',
    symbol = 'BTC-USDT',
  ) {
    return this.next<OrderExpiredEvent>(
      'ORDER_EXPIRED',
      { orderId, userId, symbol, filledQuantity, expiredQuantity, reason },
      commandId,
    );
  }

  engineState(state: EngineState, previous: EngineState, symbols: string[], commandId: string): EngineStateEvent {
    return this.next<EngineStateEvent>('ENGINE_STATE', { state, previous, symbols }, commandId);
  }

  depth(symbol: string, bids: Array<[string, string]>, asks: Array<[string, string]> = []): DepthEvent {
    return this.next<DepthEvent>('DEPTH', { symbol, bids, asks });
  }
}
