/**
 * The HTTP API's error catalogue: every error answer is `{ statusCode, code, error, message }` with a `code` from
 * this table, and the OpenAPI document lists it. Codes are stable API; messages are for people and may change.
 */
export const API_ERRORS = {
  VALIDATION_FAILED: { statusCode: 400, description: 'The body, query or path does not match the route’s schema.' },
  INVALID_JSON: { statusCode: 400, description: 'The body is not well-formed JSON.' },
  EMPTY_BODY: { statusCode: 400, description: 'The route needs a JSON body and none was sent.' },
  UNKNOWN_SYMBOL: { statusCode: 400, description: 'No instrument with this symbol is traded (see GET /v1/markets).' },
  INVALID_PRICE: {
    statusCode: 400,
    description:
      'The price is malformed, off the tick size or beyond the scale; the message starts with its MONEY_ERR_* code.',
  },
  INVALID_QUANTITY: {
    statusCode: 400,
    description:
      'The quantity is malformed, off the lot size, beyond the scale or outside min/max; the message starts with its MONEY_ERR_* code.',
  },
  INVALID_ORDER: {
    statusCode: 400,
    description: 'The combination of type, time in force, price and post-only is not allowed.',
  },
  INVALID_CURSOR: {
    statusCode: 400,
    description: 'The cursor is not one this API returned (pass `nextCursor` as is).',
  },
  UNAUTHENTICATED: { statusCode: 401, description: 'No API key, or one that is unknown or revoked (x-api-key).' },
  NOT_FOUND: {
    statusCode: 404,
    description: 'No such route, or no such resource visible to the caller (never 403, so ids cannot be probed).',
  },
  METHOD_NOT_ALLOWED: { statusCode: 405, description: 'The route exists but not with this method.' },
  ORDER_NOT_OPEN: {
    statusCode: 409,
    description: 'The order is already filled, canceled, expired or rejected: there is nothing left to cancel.',
  },
  ORDER_UNCONFIRMED: {
    statusCode: 409,
    description:
      'A retry found the first attempt under this clientOrderId never confirmed by Kafka and too old to send again; the answer carries its orderId: GET it to see whether it was placed.',
  },
  POST_ONLY_WOULD_TAKE: { statusCode: 409, description: 'The shard refused a post-only order that would have traded.' },
  MAX_OPEN_ORDERS: {
    statusCode: 409,
    description: 'The shard refused the order: the symbol’s open-order cap is reached.',
  },
  MAX_OPEN_ORDERS_PER_USER: {
    statusCode: 409,
    description: 'The shard refused the order: your open-order cap on this symbol is reached.',
  },
  ENGINE_NOT_RUNNING: {
    statusCode: 409,
    description: 'The shard refused the order because it is not trading (stopped or not started).',
  },
  ORDER_REJECTED: {
    statusCode: 409,
    description: 'The shard refused the order for another reason; the message starts with the engine’s reason.',
  },
  URI_TOO_LONG: { statusCode: 414, description: 'A path parameter is longer than any valid id or symbol.' },
  PAYLOAD_TOO_LARGE: { statusCode: 413, description: 'The body is larger than the gateway accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, description: 'The body is not application/json.' },
  RATE_LIMITED: { statusCode: 429, description: 'Too many requests for this API key; see retry-after.' },
  INTERNAL: { statusCode: 500, description: 'An unexpected failure in the gateway; the order state is unchanged.' },
  UNAVAILABLE: {
    statusCode: 503,
    description:
      'The gateway cannot take the request now (overloaded, clock off, Kafka/MySQL unreachable). Nothing was done — unless the answer carries an orderId: then Kafka did not confirm an order it may have taken; retry with the same clientOrderId or GET the order.',
  },
} as const satisfies Record<string, { statusCode: number; description: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The JSON body of every error answer. */
export interface ApiErrorBody {
  statusCode: number;
  code: ApiErrorCode;
  error: string;
  message: string;
  orderId?: string;
}

/** An error the routes throw to answer with a catalogued code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string = API_ERRORS[code].description,
    /** Headers to send with the answer (retry-after, allow). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** Set when the answer concerns an order the gateway did send (a shard's rejection). */
    readonly orderId?: string,
  ) {
    super(message);
    this.statusCode = API_ERRORS[code].statusCode;
  }
}

/** Errors of the gateway process itself (start-up), not of a request. */
export const GATEWAY_ERROR_CODES = {
  GATEWAY_ERR_CONFIG: 'An environment variable is missing or malformed; the message names it.',
} as const;
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** A setting the gateway cannot start with. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: GatewayErrorCode = 'GATEWAY_ERR_CONFIG';
}
