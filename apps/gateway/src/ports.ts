import type { Instrument, OrderCommand } from '@shardex/contracts';
import type { ApiKeyVerifier, ClientOrderStore, Fill, OrderRow, PublicTrade } from '@shardex/db';

/**
 * What the gateway's routes depend on. main.ts wires the real adapters (Kafka, MySQL, the output-topic feed);
 * unit tests pass in-memory fakes of these ports and drive the app with `app.inject()`.
 */

/** Sends order commands to the shard that owns their symbol; resolves once Kafka acknowledged (acks=all). */
export interface CommandSender {
  send(command: OrderCommand): Promise<{ shardId: string }>;
  /** The shard `symbol` routes to, as `send` would pick it. */
  shardOf(symbol: string): string;
  /** Connected and not known to be failing. */
  ready(): boolean;
}

/** One tradable instrument and the shard that owns it. */
export interface CatalogEntry {
  instrument: Instrument;
  shardId: string;
}

/** The instruments the shards were given (the newest version of the instrument registry). */
export interface InstrumentCatalog {
  lookup(symbol: string): CatalogEntry | undefined;
  /** Ordered by symbol. */
  list(): readonly CatalogEntry[];
  /** The version in use; undefined until one is loaded. */
  version(): number | undefined;
}

export type ClientOrders = Pick<ClientOrderStore, 'reserve' | 'markSent' | 'find' | 'findByOrderId'>;
export type KeyVerifier = Pick<ApiKeyVerifier, 'verify'>;

export type OrderStatus = OrderRow['status'];

/** An order as the shards stored it in MySQL (libs/db's row, without the shard's bookkeeping). */
export type StoredOrder = Omit<OrderRow, 'shardId' | 'version'>;
/** One of the caller's trades, from the caller's side. */
export type StoredFill = Fill;
/** A public trade: no user or order ids. */
export type StoredTrade = PublicTrade;

/** The read side, from the tables the shards write. Cursors are opaque; a malformed one throws `InvalidCursor`. */
export interface OrderQueries {
  getOrder(userId: string, orderId: string): Promise<StoredOrder | undefined>;
  listOrders(
    userId: string,
    query: { symbol?: string; statuses?: readonly OrderStatus[]; limit: number; cursor?: string },
  ): Promise<{ orders: StoredOrder[]; nextCursor: string | null }>;
  listFills(
    userId: string,
    query: { symbol?: string; limit: number; cursor?: string },
  ): Promise<{ fills: StoredFill[]; nextCursor: string | null }>;
  recentTrades(symbol: string, limit: number): Promise<StoredTrade[]>;
  /** Quantity (exact decimal string) and count of the symbol's trades executed at or after `sinceMs`. */
  tradeVolume(symbol: string, sinceMs: number): Promise<{ quantity: string; trades: number }>;
}

/** The shard's outcome for one order, from its output topic. */
export interface OrderOutcome {
  status: OrderStatus;
  filledQuantity: string;
  reason?: string;
  /** Rejections only. */
  rejection?: { reason: string; detail?: string; message: string };
  fills: Array<{ tradeId: string; price: string; quantity: string; liquidity: 'maker' | 'taker' }>;
}

export interface DepthView {
  symbol: string;
  shardId: string;
  seq: number;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

/** The output-topic feed: results for waiting requests and the latest depth. */
export interface MarketFeed {
  /**
   * Starts waiting for `orderId`'s outcome. Call it before the command is produced (its events can arrive before the
   * produce is acknowledged); `outcome` resolves with undefined after `timeoutMs`; `cancel` drops the wait.
   */
  waitForOrder(orderId: string, timeoutMs: number): { outcome: Promise<OrderOutcome | undefined>; cancel(): void };
  depth(symbol: string, levels: number): DepthView | undefined;
  ready(): boolean;
}
