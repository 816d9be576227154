import { TIME_IN_FORCE } from './commands';
import { CLIENT_ORDER_ID_PATTERN, placeOrderRequestSchema } from './schemas';

/**
 * The gateway's HTTP API beyond the order request: query strings, path parameters and every answer. The same
 * objects validate requests, serialise answers (fastify compiles response schemas into fast serialisers that also
 * drop anything not listed) and generate the OpenAPI document, so the three cannot drift apart. No `$id`s: fastify
 * inlines them into each route and the OpenAPI output stays self-contained.
 */

const symbol = placeOrderRequestSchema.properties.symbol;
const amount = { type: 'string', description: 'Decimal string.' } as const;
const orderId = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: 'The gateway-assigned order id: 26 characters, time-sortable.',
} as const;
const clientOrderId = { type: 'string', pattern: CLIENT_ORDER_ID_PATTERN } as const;
const epochMs = { type: 'integer', description: 'Epoch milliseconds.' } as const;
const cursor = {
  type: 'string',
  minLength: 1,
  maxLength: 512,
  description: 'The `nextCursor` of the previous page.',
} as const;

/** `{ statusCode, code, error, message }`: every error answer (the catalogue of codes is in the gateway). */
export const apiErrorSchema = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
    orderId: { ...orderId, description: 'Set when the shard rejected an order the gateway had sent.' },
  },
} as const;

/** 202 of `POST /v1/orders` (`responseType: "ack"`, or a `result` that timed out: `status: "unknown"`). */
export const orderAckSchema = {
  type: 'object',
  required: ['orderId', 'symbol', 'shardId', 'status'],
  properties: {
    orderId,
    clientOrderId: { ...clientOrderId, nullable: true },
    symbol,
    shardId: { type: 'string' },
    status: {
      type: 'string',
      enum: ['accepted', 'unknown'],
      description: '`accepted`: Kafka has the order; `unknown`: it has, but the shard did not answer in time.',
    },
  },
} as const;

export const fillSchema = {
  type: 'object',
  required: ['tradeId', 'orderId', 'symbol', 'side', 'price', 'quantity', 'liquidity'],
  properties: {
    tradeId: { type: 'string' },
    orderId,
    symbol,
    side: { type: 'string', enum: ['buy', 'sell'] },
    price: amount,
    quantity: amount,
    liquidity: { type: 'string', enum: ['maker', 'taker'] },
    executedAt: epochMs,
  },
} as const;

export const ORDER_VIEW_STATUSES = ['new', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'] as const;

/** 201 of `POST /v1/orders` with `responseType: "result"`: the order as the shard left it. */
export const orderResultSchema = {
  type: 'object',
  required: ['orderId', 'symbol', 'shardId', 'status', 'filledQuantity', 'fills'],
  properties: {
    orderId,
    clientOrderId: { ...clientOrderId, nullable: true },
    symbol,
    shardId: { type: 'string' },
    status: { type: 'string', enum: [...ORDER_VIEW_STATUSES] },
    filledQuantity: amount,
    reason: { type: 'string', nullable: true, description: 'Why it was canceled or expired.' },
    fills: { type: 'array', items: fillSchema },
  },
} as const;

/** An order as stored (GET /v1/orders...). */
export const orderViewSchema = {
  type: 'object',
  required: ['orderId', 'symbol', 'side', 'type', 'timeInForce', 'quantity', 'filledQuantity', 'status'],
  properties: {
    orderId,
    symbol,
    side: { type: 'string', enum: ['buy', 'sell'] },
    type: { type: 'string', enum: ['limit', 'market'] },
    timeInForce: { type: 'string', enum: [...TIME_IN_FORCE] },
    price: { ...amount, nullable: true },
    quantity: amount,
    filledQuantity: amount,
    status: { type: 'string', enum: [...ORDER_VIEW_STATUSES] },
    postOnly: { type: 'boolean' },
    reason: { type: 'string', nullable: true },
    createdAt: epochMs,
    updatedAt: epochMs,
  },
} as const;

export const orderIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId'],
  properties: { orderId },
} as const;

/** DELETE /v1/orders takes exactly one of clientOrderId (one order) or symbol (all the caller's open orders there). */
export const cancelOrdersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { clientOrderId, symbol },
  oneOf: [{ required: ['clientOrderId'] }, { required: ['symbol'] }],
} as const;

export const cancelAckSchema = {
  type: 'object',
  required: ['symbol', 'shardId', 'status'],
  properties: {
    orderId,
    clientOrderId,
    symbol,
    shardId: { type: 'string' },
    status: { type: 'string', enum: ['cancel_requested'] },
  },
} as const;

export const ORDER_STATUS_FILTERS = ['open', 'closed', ...ORDER_VIEW_STATUSES] as const;

export const listOrdersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    symbol,
    status: {
      type: 'string',
      enum: [...ORDER_STATUS_FILTERS],
      description: '`open`: new and partially filled; `closed`: the others.',
    },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor,
  },
} as const;

export const listFillsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { symbol, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, cursor },
} as const;

export const orderPageSchema = {
  type: 'object',
  required: ['orders', 'nextCursor'],
  properties: {
    orders: { type: 'array', items: orderViewSchema },
    nextCursor: { type: 'string', nullable: true, description: 'null on the last page.' },
  },
} as const;

export const fillPageSchema = {
  type: 'object',
  required: ['fills', 'nextCursor'],
  properties: {
    fills: { type: 'array', items: fillSchema },
    nextCursor: { type: 'string', nullable: true },
  },
} as const;

/** POST /v1/orders/batch: up to 20 orders (OKX's and Bybit's limit), each answered on its own. */
export const MAX_BATCH_ORDERS = 20;

const { $id: _requestId, ...placeOrderBody } = placeOrderRequestSchema;
/** The body of `POST /v1/orders`, without its `$id` (fastify inlines route schemas). */
export const placeOrderBodySchema = placeOrderBody;
// A batch is acknowledged per order: waiting for results is for single orders.
const { responseType: _omitted, ...batchItemProperties } = placeOrderRequestSchema.properties;

export const batchOrdersRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['orders'],
  properties: {
    orders: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH_ORDERS,
      items: { ...placeOrderBody, properties: batchItemProperties },
    },
  },
} as const;

export const batchOrdersResponseSchema = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: 'array',
      description: 'One per order, in request order: the 202 answer or the error the order alone would have had.',
      items: {
        type: 'object',
        required: ['statusCode'],
        properties: {
          statusCode: { type: 'integer' },
          ...orderAckSchema.properties,
          code: { type: 'string' },
          error: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const marketSchema = {
  type: 'object',
  required: ['symbol', 'base', 'quote', 'tickSize', 'lotSize', 'minQty', 'maxQty', 'shardId'],
  properties: {
    symbol,
    base: { type: 'string' },
    quote: { type: 'string' },
    priceScale: { type: 'integer' },
    quantityScale: { type: 'integer' },
    tickSize: amount,
    lotSize: amount,
    minQty: amount,
    maxQty: amount,
    marketPriceBandBps: { type: 'integer' },
    shardId: { type: 'string' },
  },
} as const;

export const marketListSchema = {
  type: 'object',
  required: ['markets', 'version'],
  properties: {
    version: { type: 'integer', description: 'The instrument set version the gateway validates against.' },
    markets: { type: 'array', items: marketSchema },
  },
} as const;

export const symbolParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol'],
  properties: { symbol },
} as const;

export const depthQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { levels: { type: 'integer', minimum: 1, maximum: 1000, default: 20 } },
} as const;

const level = { type: 'array', items: amount, minItems: 2, maxItems: 2, description: '[price, quantity]' } as const;

export const depthSchema = {
  type: 'object',
  required: ['symbol', 'shardId', 'seq', 'bids', 'asks'],
  properties: {
    symbol,
    shardId: { type: 'string' },
    seq: { type: 'integer', description: 'The shard sequence this snapshot reflects (0: none seen yet).' },
    bids: { type: 'array', items: level },
    asks: { type: 'array', items: level },
  },
} as const;

export const tradesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
} as const;

export const publicTradeSchema = {
  type: 'object',
  required: ['tradeId', 'symbol', 'price', 'quantity', 'takerSide', 'executedAt'],
  properties: {
    tradeId: { type: 'string' },
    symbol,
    price: amount,
    quantity: amount,
    takerSide: { type: 'string', enum: ['buy', 'sell'] },
    executedAt: epochMs,
  },
} as const;

export const publicTradesSchema = {
  type: 'object',
  required: ['trades'],
  properties: { trades: { type: 'array', items: publicTradeSchema } },
} as const;

/** `GET /v1/markets/summary`: per market, its last trade and its traded quantity over a rolling 24-hour window. */
export const marketSummarySchema = {
  type: 'object',
  required: ['windowStart', 'markets'],
  properties: {
    windowStart: { ...epochMs, description: 'Start of the 24-hour window the volumes cover (epoch ms).' },
    markets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['symbol', 'shardId', 'lastPrice', 'lastTradeAt', 'volume24h', 'trades24h'],
        properties: {
          symbol,
          shardId: { type: 'string' },
          lastPrice: { ...amount, nullable: true, description: 'Price of the latest trade; null before any.' },
          lastTradeAt: { ...epochMs, nullable: true },
          volume24h: { ...amount, description: 'Base quantity traded since windowStart (exact decimal sum).' },
          trades24h: { type: 'integer', description: 'Trades executed since windowStart.' },
        },
      },
    },
  },
} as const;

const nullableInteger = { type: 'integer', nullable: true } as const;

/** `GET /v1/ops/status`: every shard's state and progress, and this gateway's own order intake. */
export const opsStatusSchema = {
  type: 'object',
  required: ['at', 'gateway', 'shards'],
  properties: {
    at: { ...epochMs, description: 'When the answer was put together.' },
    gateway: {
      type: 'object',
      required: ['acceptedPerSecond', 'p99LatencyMs', 'samples', 'windowSeconds'],
      properties: {
        acceptedPerSecond: {
          type: 'number',
          description: 'Orders this gateway accepted per second over the window.',
        },
        p99LatencyMs: {
          type: 'number',
          nullable: true,
          description: '99th percentile of the time to answer those place requests, ms (null: none in the window).',
        },
        samples: { type: 'integer' },
        windowSeconds: { type: 'integer' },
      },
    },
    shards: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'shardId',
          'state',
          'symbols',
          'lastSeq',
          'commandsPerSecond',
          'inputLag',
          'snapshot',
          'writer',
          'ready',
          'problems',
        ],
        properties: {
          shardId: { type: 'string' },
          state: {
            type: 'string',
            nullable: true,
            enum: ['NEW', 'INITIALIZED', 'RUNNING', 'STOPPED', null],
            description: 'From the latest ENGINE_STATE the gateway read; null when none was in reach.',
          },
          symbols: { type: 'array', nullable: true, items: { type: 'string' } },
          lastSeq: nullableInteger,
          commandsPerSecond: { type: 'number', description: 'Commands applied per second over the last 10 s.' },
          inputLag: { ...nullableInteger, description: 'Input records its consumer group has not committed.' },
          snapshot: {
            type: 'object',
            nullable: true,
            required: ['seq', 'ageMs'],
            properties: { seq: { type: 'integer' }, ageMs: { type: 'integer' } },
          },
          writer: {
            type: 'object',
            nullable: true,
            required: ['owner', 'live'],
            properties: { owner: { type: 'string' }, live: { type: 'boolean' } },
          },
          ready: { type: 'boolean', description: 'RUNNING with a live writer lease.' },
          problems: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;
