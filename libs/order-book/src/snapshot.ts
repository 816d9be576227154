import {
  compileInstrument,
  type EngineState,
  type InstrumentSpec,
  lotsToQuantity,
  MAX_OPEN_ORDERS_LIMIT,
} from '@shardex/contracts';

/** Version of the snapshot layout `snapshot()` writes. `restore` reads it and every earlier version it lists. */
export const SNAPSHOT_VERSION = 2;
/** Versions `restore` reads: 1 is upgraded on the way in (empty de-duplication memory, engine time 0). */
export const READABLE_SNAPSHOT_VERSIONS: readonly number[] = [1, 2];

/** [orderId, userId, side (0 buy, 1 sell), price in ticks, quantity in lots, filled lots, STP mode (index in STP_MODES)] */
export type OrderTuple = [string, string, 0 | 1, number, number, number, number];

/**
 * One remembered order command: [issuedAt, commandId] or [issuedAt, commandId, orderId] when the command was a
 * PLACE_ORDER the engine accepted (its id may not be accepted again while the entry lives).
 */
export type DedupEntry = [number, string] | [number, string, string];

/**
 * Everything the book needs to continue exactly where it stopped. Orders are listed per symbol in priority order
 * (bids best first, FIFO within a level, then asks), so restoring re-creates the same queues.
 */
export interface BookSnapshot {
  v: typeof SNAPSHOT_VERSION;
  shardId: string;
  /** Last event sequence number emitted. */
  seq: number;
  state: EngineState;
  /** Recently applied lifecycle command ids, oldest first (de-duplication memory). */
  lifecycleIds: string[];
  instruments: InstrumentSpec[];
  books: Array<{ symbol: string; orders: OrderTuple[] }>;
  /** Symbols with a pending depth update, in the order they changed. */
  dirtyOrder: string[];
  /** The de-duplication window (ms) the book ran with; a restored book keeps it, whatever its options say. */
  dedupWindowMs: number;
  /** Engine time: the largest issuedAt (epoch ms) of the order commands taken while RUNNING; 0 before the first. */
  engineTime: number;
  /** De-duplication memory of order commands, in arrival order (oldest first). */
  recent: DedupEntry[];
}

/** The version-1 layout: no de-duplication of order commands, no open-order caps. */
export type BookSnapshotV1 = Omit<BookSnapshot, 'v' | 'dedupWindowMs' | 'engineTime' | 'recent'> & { v: 1 };

/**
 * A version-1 snapshot in the current layout: no de-duplication memory yet (engine time 0) and the given window.
 * Version 1 had no open-order caps and let min/max quantity change under open orders, so an instrument whose open
 * orders exceed the new caps' defaults or its current min/max gets those widened just enough to hold them: the
 * restored state is then one the current rules allow, and the next INITIALIZE_ENGINE may tighten them again as
 * far as the open orders allow. Anything malformed is left as it is for `restore` to refuse.
 */
export function upgradeSnapshotV1(old: BookSnapshotV1, dedupWindowMs: number): BookSnapshot {
  return {
    ...old,
    v: SNAPSHOT_VERSION,
    instruments: Array.isArray(old.instruments)
      ? old.instruments.map((spec) => widen(spec, old.books))
      : old.instruments,
    dedupWindowMs,
    engineTime: 0,
    recent: [],
  };
}

function widen(spec: InstrumentSpec, books: unknown): InstrumentSpec {
  const compiled = compileInstrument(spec);
  if (!compiled.ok || !Array.isArray(books)) return spec;
  const i = compiled.value;
  const entry: unknown = books.find(
    (b: unknown) => typeof b === 'object' && b !== null && 'symbol' in b && b.symbol === i.symbol,
  );
  const orders = typeof entry === 'object' && entry !== null && 'orders' in entry ? entry.orders : undefined;
  if (!Array.isArray(orders)) return spec;
  const perUser = new Map<string, number>();
  let minLots = i.minLots;
  let maxLots = i.maxLots;
  let mostPerUser = 0;
  for (const t of orders as unknown[]) {
    if (!Array.isArray(t)) continue;
    const [, userId, , , qty] = t as unknown[];
    if (typeof userId === 'string') {
      const n = (perUser.get(userId) ?? 0) + 1;
      perUser.set(userId, n);
      if (n > mostPerUser) mostPerUser = n;
    }
    if (Number.isSafeInteger(qty) && (qty as number) > 0) {
      if ((qty as number) < minLots) minLots = qty as number;
      if ((qty as number) > maxLots) maxLots = qty as number;
    }
  }
  const widened: InstrumentSpec = { ...spec };
  if (minLots < i.minLots) widened.minQty = lotsToQuantity(i, minLots);
  if (maxLots > i.maxLots) widened.maxQty = lotsToQuantity(i, maxLots);
  // Past the largest cap there is no cap to widen to: restore refuses such a book.
  const cap = (n: number) => Math.min(n, MAX_OPEN_ORDERS_LIMIT);
  if (orders.length > i.maxOpenOrders) widened.maxOpenOrders = cap(orders.length);
  if (mostPerUser > i.maxOpenOrdersPerUser) widened.maxOpenOrdersPerUser = cap(mostPerUser);
  return widened;
}
