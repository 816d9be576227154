import { COMMAND_CODES, MAX_ISSUED_AT, ORDER_TYPES, SIDES, TIME_IN_FORCE } from './commands';
import { EVENT_CODES } from './events';
import { MAX_OPEN_ORDERS_LIMIT, STP_MODES } from './instrument';

/**
 * JSON schemas (draft-07, usable as fastify route schemas) for every command. Amounts are only checked to be
 * short strings here: their real validation needs the instrument (tick, lot, scale) and yields a precise
 * MONEY_ERR_* code, which a regex in a schema could not. Every number has both bounds: a value the schema lets
 * through must be one every consumer (the engine, MySQL) can hold.
 */

const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' } as const;
const symbol = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Z0-9][A-Z0-9._/-]*$' } as const;
const amount = { type: 'string', minLength: 1, maxLength: 64 } as const;
const scale = { type: 'integer', minimum: 0, maximum: 18 } as const;

export const placeOrderPayloadSchema = {
  $id: 'shardex:PlaceOrderPayload',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'userId', 'symbol', 'side', 'type', 'timeInForce', 'quantity'],
  properties: {
    orderId: id,
    userId: id,
    symbol,
    side: { type: 'string', enum: [...SIDES] },
    type: { type: 'string', enum: [...ORDER_TYPES] },
    timeInForce: { type: 'string', enum: [...TIME_IN_FORCE] },
    price: amount,
    quantity: amount,
    postOnly: { type: 'boolean' },
    selfTradePrevention: { type: 'string', enum: [...STP_MODES] },
  },
} as const;

export const cancelOrderPayloadSchema = {
  $id: 'shardex:CancelOrderPayload',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'userId', 'symbol'],
  properties: { orderId: id, userId: id, symbol },
} as const;

export const cancelAllOrdersPayloadSchema = {
  $id: 'shardex:CancelAllOrdersPayload',
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'symbol'],
  properties: { userId: id, symbol },
} as const;

export const instrumentSpecSchema = {
  $id: 'shardex:InstrumentSpec',
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'base', 'quote', 'priceScale', 'quantityScale', 'tickSize', 'lotSize', 'minQty', 'maxQty'],
  properties: {
    symbol,
    base: { type: 'string', pattern: '^[A-Z0-9]{1,16}$' },
    quote: { type: 'string', pattern: '^[A-Z0-9]{1,16}$' },
    priceScale: scale,
    quantityScale: scale,
    tickSize: amount,
    lotSize: amount,
    minQty: amount,
    maxQty: amount,
    marketPriceBandBps: { type: 'integer', minimum: 1, maximum: 100000 },
    selfTradePrevention: { type: 'string', enum: [...STP_MODES] },
    // maxOpenOrdersPerUser ≤ maxOpenOrders is a cross-field rule: compileInstrument checks it.
    maxOpenOrders: { type: 'integer', minimum: 1, maximum: MAX_OPEN_ORDERS_LIMIT },
    maxOpenOrdersPerUser: { type: 'integer', minimum: 1, maximum: MAX_OPEN_ORDERS_LIMIT },
  },
} as const;

export const initializeEnginePayloadSchema = {
  $id: 'shardex:InitializeEnginePayload',
  type: 'object',
  additionalProperties: false,
  required: ['instruments'],
  properties: { instruments: { type: 'array', maxItems: 10000, items: instrumentSpecSchema } },
} as const;

const reasonOnly = (name: string) =>
  ({
    $id: `shardex:${name}`,
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', maxLength: 256 } },
  }) as const;

export const startEnginePayloadSchema = reasonOnly('StartEnginePayload');
export const stopEnginePayloadSchema = reasonOnly('StopEnginePayload');

export const commandPayloadSchemas = {
  PLACE_ORDER: placeOrderPayloadSchema,
  CANCEL_ORDER: cancelOrderPayloadSchema,
  CANCEL_ALL_ORDERS: cancelAllOrdersPayloadSchema,
  INITIALIZE_ENGINE: initializeEnginePayloadSchema,
  START_ENGINE: startEnginePayloadSchema,
  STOP_ENGINE: stopEnginePayloadSchema,
} as const;

/** The envelope of a command on Kafka; its payload is checked against the schema of its code. */
export const commandEnvelopeSchema = {
  $id: 'shardex:CommandEnvelope',
  type: 'object',
  additionalProperties: false,
  required: ['commandId', 'code', 'issuedAt', 'payload'],
  properties: {
    commandId: id,
    code: { type: 'string', enum: [...COMMAND_CODES] },
    issuedAt: { type: 'integer', minimum: 0, maximum: MAX_ISSUED_AT },
    payload: { type: 'object' },
  },
} as const;

export const eventEnvelopeSchema = {
  $id: 'shardex:EventEnvelope',
  type: 'object',
  additionalProperties: false,
  required: ['shardId', 'seq', 'code', 'payload'],
  properties: {
    shardId: id,
    seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    code: { type: 'string', enum: [...EVENT_CODES] },
    commandId: id,
    payload: { type: 'object' },
  },
} as const;

/** `clientOrderId` of the HTTP API: printable ASCII without spaces, as the idempotency store keeps it. */
export const CLIENT_ORDER_ID_PATTERN = '^[\\x21-\\x7e]{1,64}$';

/**
 * The body of the gateway's `POST /v1/orders` (and of each entry of the batch endpoint): the shape traders know from
 * Binance/Coinbase/OKX, lower-case side and type, amounts as decimal strings. Unknown properties are refused, so a
 * misspelt field never silently falls back to a default.
 */
export const placeOrderRequestSchema = {
  $id: 'shardex:PlaceOrderRequest',
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'side', 'type', 'quantity'],
  properties: {
    symbol,
    side: { type: 'string', enum: ['buy', 'sell'] },
    type: { type: 'string', enum: ['limit', 'market'] },
    price: amount,
    quantity: amount,
    timeInForce: { type: 'string', enum: [...TIME_IN_FORCE] },
    postOnly: { type: 'boolean' },
    clientOrderId: { type: 'string', pattern: CLIENT_ORDER_ID_PATTERN },
    stp: { type: 'string', enum: [...STP_MODES] },
    responseType: { type: 'string', enum: ['ack', 'result'] },
  },
} as const;
