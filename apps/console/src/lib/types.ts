/** The gateway's answers as the console reads them (see the OpenAPI document at /docs). Amounts are decimal strings. */

export interface Market {
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  lotSize: string;
  minQty: string;
  maxQty: string;
  shardId: string;
}

export interface MarketSummary {
  symbol: string;
  shardId: string;
  lastPrice: string | null;
  lastTradeAt: number | null;
  volume24h: string;
  trades24h: number;
}

export interface Depth {
  symbol: string;
  shardId: string;
  seq: number;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

export interface PublicTrade {
  tradeId: string;
  symbol: string;
  price: string;
  quantity: string;
  takerSide: 'buy' | 'sell';
  executedAt: number;
}

/** A trade on the stream: no time (the console stamps it on arrival), upper-case side. */
export interface StreamTrade {
  tradeId: string;
  symbol: string;
  price: string;
  quantity: string;
  takerSide: 'BUY' | 'SELL';
  seq: number;
}

export interface StreamDepth {
  symbol: string;
  shardId: string;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
  U: number;
  u: number;
}

export interface OrderView {
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market';
  timeInForce: string;
  price?: string | null;
  quantity: string;
  filledQuantity: string;
  status: string;
  postOnly?: boolean;
  createdAt?: number;
}

export interface FillView {
  tradeId: string;
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  price: string;
  quantity: string;
  liquidity: 'maker' | 'taker';
  executedAt?: number;
}

export interface ShardStatus {
  shardId: string;
  state: string | null;
  symbols: string[] | null;
  lastSeq: number | null;
  commandsPerSecond: number;
  inputLag: number | null;
  snapshot: { seq: number; ageMs: number } | null;
  writer: { owner: string; live: boolean } | null;
  ready: boolean;
  problems: string[];
}

export interface OpsStatus {
  at: number;
  gateway: { acceptedPerSecond: number; p99LatencyMs: number | null; samples: number; windowSeconds: number };
  shards: ShardStatus[];
}
