import {
  apiErrorSchema,
  batchOrdersRequestSchema,
  batchOrdersResponseSchema,
  cancelAckSchema,
  cancelOrdersQuerySchema,
  fillPageSchema,
  listFillsQuerySchema,
  listOrdersQuerySchema,
  orderAckSchema,
  orderIdParamsSchema,
  orderPageSchema,
  orderResultSchema,
  orderViewSchema,
  placeOrderBodySchema,
  type PlaceOrderRequest,
} from '@shardex/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors';
import type { OrderService } from '../orders/order-service';
import { fromViewStatus, scaled, toFillView, toOrderView } from '../orders/views';
import type { InstrumentCatalog, OrderQueries, OrderStatus, StoredFill, StoredOrder } from '../ports';

const errors = { '4xx': apiErrorSchema, '5xx': apiErrorSchema };
const security = [{ apiKey: [] }];

function principal(request: FastifyRequest) {
  // Private routes run after the API key hook; a missing principal is a wiring bug, not a client error.
  if (!request.principal) throw new Error('private route without a principal');
  return request.principal;
}

const OPEN: readonly OrderStatus[] = ['NEW', 'PARTIALLY_FILLED'];
const CLOSED: readonly OrderStatus[] = ['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED'];

function statuses(filter: string | undefined): readonly OrderStatus[] | undefined {
  if (filter === undefined) return undefined;
  if (filter === 'open') return OPEN;
  if (filter === 'closed') return CLOSED;
  return [fromViewStatus(filter)];
}

/** A read of the shards' tables: MySQL trouble is 503, a cursor we did not issue is 400. */
async function read<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'DB_ERR_CURSOR_INVALID') throw new ApiError('INVALID_CURSOR', (err as Error).message);
    // The schemas keep bad input from the queries; one that still refuses it is a client error all the same.
    if (code === 'DB_ERR_QUERY_INVALID') throw new ApiError('VALIDATION_FAILED', (err as Error).message);
    throw new ApiError('UNAVAILABLE', 'orders cannot be read right now', { 'retry-after': '1' });
  }
}

/** The private order routes: place (single and batch), cancel, and the caller's own orders and fills. */
export function orderRoutes(
  app: FastifyInstance,
  {
    orders,
    queries,
    catalog,
    onAccepted = () => undefined,
  }: {
    orders: OrderService;
    queries: OrderQueries;
    catalog: Pick<InstrumentCatalog, 'lookup'>;
    /** Told how many orders a request had accepted (Kafka has them), before the answer is sent. */
    onAccepted?: (request: FastifyRequest, orders: number) => void;
  },
) {
  const orderView = (o: StoredOrder) => toOrderView(scaled(catalog, o, ['price'], ['quantity', 'filledQuantity']));
  const fillView = (f: StoredFill) => toFillView(scaled(catalog, f, ['price'], ['quantity']));
  app.post<{ Body: PlaceOrderRequest }>(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order',
        description:
          'Answers 202 once Kafka has the order (acks=all). With `responseType: "result"` it waits up to RESULT_TIMEOUT_MS ' +
          'for the shard and answers 201 with the order’s status and fills, 400/409 with the shard’s rejection, or 202 ' +
          'with status `unknown` when the shard did not answer in time. A retry with the same clientOrderId returns the ' +
          'original orderId and never places a second order (kept for CLIENT_ORDER_RETENTION_MS, at least 24 hours).',
        security,
        body: placeOrderBodySchema,
        response: { 201: orderResultSchema, 202: orderAckSchema, ...errors },
      },
    },
    async (request, reply) => {
      const out = await orders.place(principal(request), request.body);
      if (out.statusCode === 201 || out.statusCode === 202) onAccepted(request, 1);
      return reply.code(out.statusCode).send(out.body);
    },
  );

  app.post<{ Body: { orders: PlaceOrderRequest[] } }>(
    '/v1/orders/batch',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place up to 20 orders',
        description:
          'Each order is validated, made idempotent and acknowledged on its own; all are sent to Kafka together. ' +
          'Answers 200 with one result per order, in request order.',
        security,
        body: batchOrdersRequestSchema,
        response: { 200: batchOrdersResponseSchema, ...errors },
      },
    },
    async (request) => {
      const results = await orders.placeBatch(principal(request), request.body.orders);
      onAccepted(request, results.filter((r) => r.statusCode === 202).length);
      return { results };
    },
  );

  app.delete<{ Params: { orderId: string } }>(
    '/v1/orders/:orderId',
    {
      schema: {
        tags: ['orders'],
        summary: 'Cancel an order',
        description: '202 once Kafka has the cancel; 404 for an order that is not yours (or does not exist).',
        security,
        params: orderIdParamsSchema,
        response: { 202: cancelAckSchema, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await orders.cancel(principal(request), request.params.orderId)),
  );

  app.delete<{ Querystring: { clientOrderId?: string; symbol?: string } }>(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Cancel by clientOrderId, or all your open orders on a symbol',
        description:
          '`?clientOrderId=`: that order. `?symbol=`: every open order of yours on the symbol, in one step on its shard.',
        security,
        querystring: cancelOrdersQuerySchema,
        response: { 202: cancelAckSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { clientOrderId, symbol } = request.query;
      const who = principal(request);
      const ack =
        clientOrderId !== undefined
          ? await orders.cancelByClientOrderId(who, clientOrderId)
          : await orders.cancelAll(who, symbol as string);
      return reply.code(202).send(ack);
    },
  );

  app.get<{ Params: { orderId: string } }>(
    '/v1/orders/:orderId',
    {
      schema: {
        tags: ['orders'],
        summary: 'One of your orders',
        description:
          'As the shard stored it; an order placed a moment ago may take the shard’s write interval to appear.',
        security,
        params: orderIdParamsSchema,
        response: { 200: orderViewSchema, ...errors },
      },
    },
    async (request) => {
      const order = await read(() => queries.getOrder(principal(request).userId, request.params.orderId));
      if (!order) throw new ApiError('NOT_FOUND', `no order ${request.params.orderId}`);
      return orderView(order);
    },
  );

  app.get<{ Querystring: { symbol?: string; status?: string; limit: number; cursor?: string } }>(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Your orders, newest first',
        security,
        querystring: listOrdersQuerySchema,
        response: { 200: orderPageSchema, ...errors },
      },
    },
    async (request) => {
      const { symbol, status, limit, cursor } = request.query;
      const filter = statuses(status);
      const page = await read(() =>
        queries.listOrders(principal(request).userId, {
          limit,
          ...(symbol !== undefined ? { symbol } : {}),
          ...(filter ? { statuses: filter } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        }),
      );
      return { orders: page.orders.map(orderView), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Querystring: { symbol?: string; limit: number; cursor?: string } }>(
    '/v1/fills',
    {
      schema: {
        tags: ['orders'],
        summary: 'Your trades, newest first',
        security,
        querystring: listFillsQuerySchema,
        response: { 200: fillPageSchema, ...errors },
      },
    },
    async (request) => {
      const { symbol, limit, cursor } = request.query;
      const page = await read(() =>
        queries.listFills(principal(request).userId, {
          limit,
          ...(symbol !== undefined ? { symbol } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        }),
      );
      return { fills: page.fills.map(fillView), nextCursor: page.nextCursor };
    },
  );
}
