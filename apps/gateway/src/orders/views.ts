import type { InstrumentCatalog, OrderStatus, StoredFill, StoredOrder, StoredTrade } from '../ports';

/**
 * Amounts read back from MySQL come without trailing zeros ("0.3"); the shard's events, and so the answers built
 * from them, carry the instrument's scale ("0.30000000"). Answers show one form: the instrument's scale, as the
 * engine writes it (and as Binance's API does).
 */
export function atScale(value: string, scale: number): string {
  if (scale <= 0) return value;
  const [whole, fraction = ''] = value.split('.');
  return fraction.length >= scale ? value : `${whole}.${fraction.padEnd(scale, '0')}`;
}

/** Re-scales a stored row's amounts for its instrument (left as stored when the instrument is no longer listed). */
export function scaled<T extends { symbol: string }>(
  catalog: Pick<InstrumentCatalog, 'lookup'>,
  row: T,
  prices: ReadonlyArray<keyof T>,
  quantities: ReadonlyArray<keyof T>,
): T {
  const instrument = catalog.lookup(row.symbol)?.instrument;
  if (!instrument) return row;
  const out = { ...row };
  for (const k of prices) if (typeof out[k] === 'string') out[k] = atScale(out[k], instrument.priceScale) as T[keyof T];
  for (const k of quantities)
    if (typeof out[k] === 'string') out[k] = atScale(out[k], instrument.quantityScale) as T[keyof T];
  return out;
}

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
