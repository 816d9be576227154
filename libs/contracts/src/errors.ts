/**
 * Every code the contracts can report, with what it means. Money and codec problems are values (`Result`), not
 * throws, so a bad message becomes a rejection or a dead-letter record instead of a crash.
 */
export const CONTRACT_ERROR_CODES = {
  MONEY_ERR_NOT_STRING:
    'A price or quantity was not a string; numbers are refused because a float cannot hold money exactly.',
  MONEY_ERR_FORMAT:
    'Not a plain decimal: only digits with an optional fraction ("12", "0.5"); no sign, spaces or separators.',
  MONEY_ERR_EXPONENT: 'Exponent notation ("1e5") is refused; write the digits.',
  MONEY_ERR_NAN: 'NaN and Infinity are not amounts.',
  MONEY_ERR_NEGATIVE: 'The amount is negative.',
  MONEY_ERR_ZERO: 'The amount is zero where it must be positive.',
  MONEY_ERR_SCALE: 'More fractional digits than the instrument allows.',
  MONEY_ERR_OFF_TICK: 'The price is not a multiple of the tick size.',
  MONEY_ERR_OFF_LOT: 'The quantity is not a multiple of the lot size.',
  MONEY_ERR_RANGE: 'Too large: the tick or lot count would exceed 2^53 - 1.',
  MONEY_ERR_MIN_QTY: 'The quantity is below the instrument minimum.',
  MONEY_ERR_MAX_QTY: 'The quantity is above the instrument maximum.',
  INSTRUMENT_ERR_INVALID: 'An instrument definition is inconsistent (scales, tick, lot, min/max).',
  CODEC_ERR_MALFORMED: 'The message is not valid JSON or has no body.',
  CODEC_ERR_UNKNOWN_VERSION: 'The schema-version header names a version this build does not read.',
  CODEC_ERR_UNKNOWN_CODE: 'The code is not a known command or event code.',
  CODEC_ERR_HEADER_MISMATCH: 'The code header and the code in the body disagree.',
  CODEC_ERR_SCHEMA: 'The body does not match the JSON schema of its code.',
} as const;

export type ContractErrorCode = keyof typeof CONTRACT_ERROR_CODES;
export type MoneyErrorCode = Extract<ContractErrorCode, `MONEY_ERR_${string}`>;
export type CodecErrorCode = Extract<ContractErrorCode, `CODEC_ERR_${string}`>;

/** A failure as a value. `code` is stable; `message` is for people. */
export interface Failure<C extends ContractErrorCode = ContractErrorCode> {
  readonly ok: false;
  readonly code: C;
  readonly message: string;
}

export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

export type Result<T, C extends ContractErrorCode = ContractErrorCode> = Success<T> | Failure<C>;

export function ok<T>(value: T): Success<T> {
  return { ok: true, value };
}

export function fail<C extends ContractErrorCode>(code: C, message: string): Failure<C> {
  return { ok: false, code, message };
}

/**
 * The base of every coded error in shardex's libs: a stable `code` (documented in the lib's `*_ERROR_CODES`),
 * whether trying again can help, and the underlying cause. The message starts with the code.
 */
export class CodedError<C extends string = string> extends Error {
  readonly retriable: boolean;
  constructor(
    readonly code: C,
    message: string,
    { retriable = false, cause }: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.retriable = retriable;
  }
}

/** Thrown only by `unwrap` (tests, config loading), never on a message path. */
export class ContractError extends CodedError<ContractErrorCode> {
  override readonly name = 'ContractError';
}

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ContractError(result.code, result.message);
}
