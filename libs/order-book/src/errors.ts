import { CodedError } from '@shardex/contracts';

/** Errors the order book throws. Matching itself never throws: bad commands become ORDER_REJECTED events. */
export const ORDER_BOOK_ERROR_CODES = {
  BOOK_ERR_SNAPSHOT_VERSION: 'The snapshot was written by a format version this build does not read.',
  BOOK_ERR_SNAPSHOT_INVALID: 'The snapshot is inconsistent (unknown symbol, bad order tuple, duplicate order id).',
  BOOK_ERR_SHARD_MISMATCH: 'The snapshot belongs to another shard.',
  BOOK_ERR_CONFIG: 'Invalid order-book options.',
} as const;

export type OrderBookErrorCode = keyof typeof ORDER_BOOK_ERROR_CODES;

export class OrderBookError extends CodedError<OrderBookErrorCode> {
  override readonly name = 'OrderBookError';
}
