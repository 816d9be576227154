import type { CancelAllOrdersCommand, CancelOrderCommand, PlaceOrderCommand, PlaceOrderPayload } from '../commands';
import type { InstrumentSpec } from '../instrument';

/** Test fixtures and builders (the `@shardex/contracts/testing` entry; never imported by production code). */

export const BTC: InstrumentSpec = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  priceScale: 8,
  quantityScale: 18,
  tickSize: '0.01',
  lotSize: '0.00001',
  minQty: '0.0001',
  maxQty: '1000',
};

/** A small-number instrument for hand-computed scenarios: tick 1, lot 1. */
export const TEST: InstrumentSpec = {
  symbol: 'TEST',
  base: 'TST',
  quote: 'USD',
  priceScale: 0,
  quantityScale: 0,
  tickSize: '1',
  lotSize: '1',
  minQty: '1',
  maxQty: '1000000',
  marketPriceBandBps: 1000,
  selfTradePrevention: 'CANCEL_NEWEST',
};

let counter = 0;

export function placeOrder(
  payload: Partial<PlaceOrderPayload> & Pick<PlaceOrderPayload, 'orderId'>,
  commandId?: string,
): PlaceOrderCommand {
  counter++;
  return {
    commandId: commandId ?? `c-${payload.orderId}-${counter}`,
    code: 'PLACE_ORDER',
    issuedAt: 1_700_000_000_000,
    payload: {
      userId: 'u1',
      symbol: 'TEST',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '1',
      ...payload,
    },
  };
}

export function cancelOrder(orderId: string, userId = 'u1', symbol = 'TEST'): CancelOrderCommand {
  counter++;
  return {
    commandId: `x-${orderId}-${counter}`,
    code: 'CANCEL_ORDER',
    issuedAt: 1_700_000_000_000,
    payload: { orderId, userId, symbol },
  };
}

export function cancelAllOrders(userId = 'u1', symbol = 'TEST', commandId?: string): CancelAllOrdersCommand {
  counter++;
  return {
    commandId: commandId ?? `xa-${userId}-${counter}`,
    code: 'CANCEL_ALL_ORDERS',
    issuedAt: 1_700_000_000_000,
    payload: { userId, symbol },
  };
}

/** mulberry32: a small seeded PRNG in [0, 1), so a generated workload is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
