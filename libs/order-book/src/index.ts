export { bandLimit, createOrderBook, DEFAULT_DEDUP_WINDOW_MS, MAX_DEDUP_WINDOW_MS, OrderBook } from './order-book';
export type { OrderBookOptions } from './order-book';
export { READABLE_SNAPSHOT_VERSIONS, SNAPSHOT_VERSION } from './snapshot';
export type { BookSnapshot, BookSnapshotV1, DedupEntry, OrderTuple } from './snapshot';
export { ORDER_BOOK_ERROR_CODES, OrderBookError } from './errors';
export type { OrderBookErrorCode } from './errors';
