import { CodedError } from '@shardex/contracts';

/** Errors of the market-data feed. Codes are stable; messages are for people. */
export const MARKET_DATA_ERROR_CODES = {
  MD_ERR_CONFIG: 'Invalid feed options (no shards, a duplicate output topic, a bound that is not a positive integer).',
  MD_ERR_INVALID_ARGUMENT: 'A call got an argument it cannot use (an empty order id, a timeout that is not > 0).',
  MD_ERR_TOO_MANY_WAITERS:
    'waitForOrder refused: the cap on pending order waiters is reached (retriable: answer 503, do not produce).',
  MD_ERR_STOPPED: 'The feed was stopped, or its consumer crashed for good; it delivers nothing any more.',
  MD_ERR_NOT_READY: 'The feed did not catch up with the tail of the output topics in the time allowed.',
  MD_ERR_START: 'The feed could not start: connecting, reading the topics’ offsets or subscribing failed (`cause`).',
} as const;

export type MarketDataErrorCode = keyof typeof MARKET_DATA_ERROR_CODES;

export class MarketDataError extends CodedError<MarketDataErrorCode> {
  override readonly name = 'MarketDataError';
}
