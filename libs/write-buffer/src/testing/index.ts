import type { OrderRow, TradeRow } from '@shardex/db';

/** Row builders for tests (the `@shardex/write-buffer/testing` entry). */

export const order = (orderId: string, version: number, extra: Partial<OrderRow> = {}): OrderRow => ({
  orderId,
  shardId: 'shard-1',
  userId: 'u1',
  symbol: 'BTC-USDT',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  price: '100.00',
  quantity: '1.0000',
  filledQuantity: '0.0000',
  status: 'NEW',
  postOnly: false,
  reason: null,
  version,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000 + version,
  ...extra,
});

export const trade = (tradeId: string, seq: number): TradeRow => ({
  tradeId,
  shardId: 'shard-1',
  seq,
  symbol: 'BTC-USDT',
  price: '100.00',
  quantity: '1.0000',
  takerOrderId: 'a',
  makerOrderId: 'b',
  takerUserId: 'u1',
  makerUserId: 'u2',
  takerSide: 'BUY',
  executedAt: 1_700_000_000_000,
});
