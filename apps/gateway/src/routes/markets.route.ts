import {
  apiErrorSchema,
  depthQuerySchema,
  depthSchema,
  marketListSchema,
  publicTradesSchema,
  symbolParamsSchema,
  tradesQuerySchema,
} from '@shardex/contracts';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';
import { scaled, toTradeView } from '../orders/views';
import type { InstrumentCatalog, MarketFeed, OrderQueries } from '../ports';

const errors = { '4xx': apiErrorSchema, '5xx': apiErrorSchema };

/** Public market data: instruments, depth (from the shards' DEPTH events) and recent trades (from MySQL). */
export function marketRoutes(
  app: FastifyInstance,
  { catalog, feed, queries }: { catalog: InstrumentCatalog; feed: Pick<MarketFeed, 'depth'>; queries: OrderQueries },
) {
  const known = (symbol: string) => {
    const entry = catalog.lookup(symbol);
    if (!entry) throw new ApiError('NOT_FOUND', `no market ${symbol}`);
    return entry;
  };

  app.get(
    '/v1/markets',
    {
      schema: {
        tags: ['markets'],
        summary: 'Instruments: tick, lot, min/max quantity and owning shard',
        response: { 200: marketListSchema, ...errors },
      },
    },
    async () => {
      const version = catalog.version();
      if (version === undefined) throw new ApiError('UNAVAILABLE', 'no instruments loaded yet', { 'retry-after': '1' });
      return {
        version,
        markets: catalog.list().map(({ instrument, shardId }) => ({ ...instrument, shardId })),
      };
    },
  );

  app.get<{ Params: { symbol: string }; Querystring: { levels: number } }>(
    '/v1/markets/:symbol/depth',
    {
      schema: {
        tags: ['markets'],
        summary: 'Order book depth, with the shard sequence it reflects',
        params: symbolParamsSchema,
        querystring: depthQuerySchema,
        response: { 200: depthSchema, ...errors },
      },
    },
    async (request) => {
      const { instrument, shardId } = known(request.params.symbol);
      return (
        feed.depth(instrument.symbol, request.query.levels) ?? {
          symbol: instrument.symbol,
          shardId,
          seq: 0,
          bids: [],
          asks: [],
        }
      );
    },
  );

  app.get<{ Params: { symbol: string }; Querystring: { limit: number } }>(
    '/v1/markets/:symbol/trades',
    {
      schema: {
        tags: ['markets'],
        summary: 'Recent trades, newest first',
        params: symbolParamsSchema,
        querystring: tradesQuerySchema,
        response: { 200: publicTradesSchema, ...errors },
      },
    },
    async (request) => {
      const { instrument } = known(request.params.symbol);
      try {
        const trades = await queries.recentTrades(instrument.symbol, request.query.limit);
        return { trades: trades.map((t) => toTradeView(scaled(catalog, t, ['price'], ['quantity']))) };
      } catch {
        throw new ApiError('UNAVAILABLE', 'trades cannot be read right now', { 'retry-after': '1' });
      }
    },
  );
}
