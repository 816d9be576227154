import {
  type Instrument,
  type PlaceOrderCommand,
  type PlaceOrderRequest,
  priceToTicks,
  quantityToLots,
} from '@shardex/contracts';
import type { ApiErrorCode } from '../errors';

export interface PlaceOrderContext {
  userId: string;
  /** Assigned by the gateway (order-ids.ts). */
  orderId: string;
  /** The gateway's clock at acceptance, epoch ms: the command's issuedAt. */
  issuedAt: number;
  /** The instrument of `request.symbol`, or undefined when no shard trades it. */
  instrument: Instrument | undefined;
}

export type PlaceOrderOutcome =
  { ok: true; command: PlaceOrderCommand } | { ok: false; code: ApiErrorCode; message: string };

/**
 * An HTTP order request (already schema-valid) → the engine's PLACE_ORDER command, or the reason it is refused
 * before anything is sent. The checks are the engine's own (same tick, lot, scale and min/max code paths from
 * libs/contracts), so an order the gateway accepts is never refused by the shard for its amounts; what only the
 * book can tell (post-only crossing, caps, duplicates) is left to the shard.
 */
export function buildPlaceOrder(request: PlaceOrderRequest, ctx: PlaceOrderContext): PlaceOrderOutcome {
  const { instrument } = ctx;
  if (!instrument) return refuse('UNKNOWN_SYMBOL', `no instrument ${request.symbol} is traded here`);
  const isMarket = request.type === 'market';
  const timeInForce = request.timeInForce ?? (isMarket ? 'IOC' : 'GTC');
  if (isMarket) {
    if (request.price !== undefined) return refuse('INVALID_ORDER', 'a market order takes no price');
    if (timeInForce === 'GTC') return refuse('INVALID_ORDER', 'a market order is IOC or FOK, never GTC');
    if (request.postOnly === true) return refuse('INVALID_ORDER', 'a market order cannot be post-only');
  } else {
    if (request.price === undefined) return refuse('INVALID_ORDER', 'a limit order needs a price');
    if (request.postOnly === true && timeInForce !== 'GTC')
      return refuse('INVALID_ORDER', 'a post-only order must be GTC (it rests or is refused)');
    const price = priceToTicks(instrument, request.price);
    if (!price.ok) return refuse('INVALID_PRICE', `${price.code}: ${price.message}`);
  }
  const quantity = quantityToLots(instrument, request.quantity);
  if (!quantity.ok) return refuse('INVALID_QUANTITY', `${quantity.code}: ${quantity.message}`);

  return {
    ok: true,
    command: {
      // One command per order id: a re-send of the same order (an idempotent retry) is the same command.
      commandId: `place:${ctx.orderId}`,
      code: 'PLACE_ORDER',
      issuedAt: ctx.issuedAt,
      payload: {
        orderId: ctx.orderId,
        userId: ctx.userId,
        symbol: instrument.symbol,
        side: request.side === 'buy' ? 'BUY' : 'SELL',
        type: isMarket ? 'MARKET' : 'LIMIT',
        timeInForce,
        ...(request.price !== undefined && { price: request.price }),
        quantity: request.quantity,
        ...(request.postOnly !== undefined && { postOnly: request.postOnly }),
        ...(request.stp !== undefined && { selfTradePrevention: request.stp }),
      },
    },
  };
}

function refuse(code: ApiErrorCode, message: string): PlaceOrderOutcome {
  return { ok: false, code, message };
}
