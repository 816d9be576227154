import type { EngineState, InstrumentSpec } from '@shardex/contracts';

/** Version of the snapshot layout; `restore` refuses any other. */
export const SNAPSHOT_VERSION = 1;

/** [orderId, userId, side (0 buy, 1 sell), price in ticks, quantity in lots, filled lots, STP mode (index in STP_MODES)] */
export type OrderTuple = [string, string, 0 | 1, number, number, number, number];

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
}
