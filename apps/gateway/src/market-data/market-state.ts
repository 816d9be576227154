import type { DepthEvent, Side, TradeEvent } from '@shardex/contracts';

/**
 * The latest order-book depth of a symbol, as its shard last published it (a DEPTH event is a full top-N snapshot).
 *
 * Sequence ids, after Binance's U/u: `u` is the shard seq of the DEPTH event this snapshot comes from (the book as
 * it stood after every event of the shard with a lower seq); `U` is the previous DEPTH seq of the symbol + 1 (or
 * `u` itself for the first snapshot the feed saw after it started). So [U, u] is the range of shard seqs whose
 * changes this snapshot adds to the previous one, and consecutive messages chain: next.U === previous.u + 1.
 *
 * What a client does: keep the `u` of the book it holds (from the REST snapshot, whose `lastUpdateId` is this `u`,
 * or the first stream message). For each depth message: `u <= held u` → stale or duplicate, drop it; otherwise
 * replace the whole book with it (it is a full snapshot, so nothing is lost). `U > held u + 1` means messages were
 * missed — harmless for the book itself, but a client that derives anything incremental from the stream (or wants
 * to be sure it saw every change) re-syncs from the REST snapshot.
 */
export interface DepthSnapshot {
  symbol: string;
  shardId: string;
  /** Best first: [price, quantity], decimal strings. */
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
  /** First shard seq covered by this snapshot: the previous DEPTH seq of the symbol + 1. */
  U: number;
  /** The DEPTH event's shard seq. */
  u: number;
}

/** A trade as the public sees it: no user or order ids. */
export interface PublicTrade {
  tradeId: string;
  symbol: string;
  price: string;
  quantity: string;
  /** The side of the order that took liquidity (BUY: the price was lifted). */
  takerSide: Side;
  shardId: string;
  seq: number;
}

export interface MarketStateOptions {
  /** Recent trades kept per symbol. Default 200. */
  tradesPerSymbol?: number;
}

/** Fixed-size ring, oldest overwritten first. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }
  /** The newest `limit` items, oldest first. */
  latest(limit: number): T[] {
    const n = this.items.length;
    const take = Math.min(Math.max(0, limit), n);
    const out: T[] = [];
    // When full, the oldest sits at `next`; before that, at 0 (and next === n).
    const start = n < this.capacity ? 0 : this.next;
    for (let i = n - take; i < n; i++) out.push(this.items[(start + i) % n] as T);
    return out;
  }
  get size(): number {
    return this.items.length;
  }
}

function isLevels(v: unknown): v is Array<[string, string]> {
  return (
    Array.isArray(v) &&
    v.every((l) => Array.isArray(l) && l.length === 2 && typeof l[0] === 'string' && typeof l[1] === 'string')
  );
}

/** Per symbol: the latest depth snapshot and a bounded ring of recent trades. Pure: no I/O, no clock. */
export class MarketState {
  private readonly depths = new Map<string, DepthSnapshot>();
  private readonly trades = new Map<string, Ring<PublicTrade>>();
  private readonly tradesPerSymbol: number;

  constructor({ tradesPerSymbol = 200 }: MarketStateOptions = {}) {
    this.tradesPerSymbol = tradesPerSymbol;
  }

  /**
   * Takes a DEPTH event; returns the new snapshot, or undefined when it is not newer than the one held (a DEPTH of a
   * symbol is always on the same partition, so an older seq is a replay) or is malformed.
   */
  applyDepth(event: DepthEvent): DepthSnapshot | undefined {
    const { symbol, bids, asks } = event.payload;
    if (typeof symbol !== 'string' || !isLevels(bids) || !isLevels(asks)) return undefined;
    const previous = this.depths.get(symbol);
    if (previous && event.seq <= previous.u) return undefined;
    const snapshot: DepthSnapshot = {
      symbol,
      shardId: event.shardId,
      bids,
      asks,
      // A symbol moved to another shard starts a new seq line: no continuity with the old shard's numbers.
      U: previous && previous.shardId === event.shardId ? previous.u + 1 : event.seq,
      u: event.seq,
    };
    this.depths.set(symbol, snapshot);
    return snapshot;
  }

  /** Records a TRADE event; returns the public trade, or undefined if malformed. */
  addTrade(event: TradeEvent): PublicTrade | undefined {
    const p = event.payload;
    if (typeof p.symbol !== 'string' || typeof p.price !== 'string' || typeof p.quantity !== 'string') return undefined;
    const trade: PublicTrade = {
      tradeId: p.tradeId,
      symbol: p.symbol,
      price: p.price,
      quantity: p.quantity,
      takerSide: p.takerSide,
      shardId: event.shardId,
      seq: event.seq,
    };
    let ring = this.trades.get(p.symbol);
    if (!ring) {
      ring = new Ring(this.tradesPerSymbol);
      this.trades.set(p.symbol, ring);
    }
    ring.push(trade);
    return trade;
  }

  depth(symbol: string): DepthSnapshot | undefined {
    return this.depths.get(symbol);
  }

  /** The newest `limit` trades of a symbol (default: all kept), oldest first. */
  recentTrades(symbol: string, limit = this.tradesPerSymbol): PublicTrade[] {
    return this.trades.get(symbol)?.latest(limit) ?? [];
  }

  /** Symbols with a depth snapshot or a trade. */
  symbols(): string[] {
    return [...new Set([...this.depths.keys(), ...this.trades.keys()])].sort();
  }
}
