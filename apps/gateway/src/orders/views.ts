import type { OrderStatus, StoredFill, StoredOrder, StoredTrade } from '../ports';

/** The API speaks lower case (`buy`, `partially_filled`), as Binance's and Coinbase's clients expect; storage upper. */
export function toViewStatus(status: OrderStatus) {
  return status.toLowerCase() as Lowercase<OrderStatus>;
}

export function fromViewStatus(status: string): OrderStatus {
  return status.toUpperCase() as OrderStatus;
}

function side(s: 'BUY' | 'SELL'): 'buy' | 'sell' {
  return s === 'BUY' ? 'buy' : 'sell';
}

export function toOrderView(o: StoredOrder) {
  return {
    orderId: o.orderId,
    symbol: o.symbol,
    side: side(o.side),
    type: o.type === 'LIMIT' ? ('limit' as const) : ('market' as const),
    timeInForce: o.timeInForce,
    price: o.price,
    quantity: o.quantity,
    filledQuantity: o.filledQuantity,
    status: toViewStatus(o.status),
    postOnly: o.postOnly,
    reason: o.reason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/** A fill; `side` is unknown (undefined) in a result built from the shard's events of one order and left out. */
export function toFillView(
  f: Omit<StoredFill, 'side' | 'executedAt'> & { side?: 'BUY' | 'SELL'; executedAt?: number },
) {
  return {
    tradeId: f.tradeId,
    orderId: f.orderId,
    symbol: f.symbol,
    ...(f.side ? { side: side(f.side) } : {}),
    price: f.price,
    quantity: f.quantity,
    liquidity: f.liquidity,
    ...(f.executedAt !== undefined ? { executedAt: f.executedAt } : {}),
  };
}

export function toTradeView(t: StoredTrade) {
  return {
    tradeId: t.tradeId,
    symbol: t.symbol,
    price: t.price,
    quantity: t.quantity,
    takerSide: side(t.takerSide),
    executedAt: t.executedAt,
  };
}
