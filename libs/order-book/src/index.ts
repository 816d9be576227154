export { bandLimit, createOrderBook, OrderBook } from './order-book';
export type { OrderBookOptions } from './order-book';
export { SNAPSHOT_VERSION } from './snapshot';
export type { BookSnapshot, OrderTuple } from './snapshot';
export { ORDER_BOOK_ERROR_CODES, OrderBookError } from './errors';
export type { OrderBookErrorCode } from './errors';
