import {
  apiErrorSchema,
  depthQuerySchema,
  depthSchema,
  marketListSchema,
  marketSummarySchema,
  publicTradesSchema,
  symbolParamsSchema,
  tradesQuerySchema,
} from '@shardex/contracts';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';
import { atScale, scaled, toTradeView } from '../orders/views';
import type { InstrumentCatalog, MarketFeed, OrderQueries } from '../ports';

const errors = { '4xx': apiErrorSchema, '5xx': apiErrorSchema };

const DAY_MS = 24 * 3600_000;

export interface MarketRoutesOptions {
  catalog: InstrumentCatalog;
  feed: Pick<MarketFeed, 'depth'>;
  queries: OrderQueries;
  now?: () => number;
  /** Summaries within this many ms of the last one share it (every open console polls them). Default 2,000. */
  summaryCacheMs?: number;
}

/**
 * Public market data: instruments, depth (from the shards' DEPTH events), recent trades and the 24-hour summary
 * (from MySQL).
 */
export function marketRoutes(
  app: FastifyInstance,
  { catalog, feed, queries, now = Date.now, summaryCacheMs = 2_000 }: MarketRoutesOptions,
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

  let summary: { at: number; version: number; answer: Promise<object> } | undefined;
  const summarize = async (at: number) => {
    const windowStart = at - DAY_MS;
    const markets = await Promise.all(
      catalog.list().map(async ({ instrument, shardId }) => {
        const [[last], volume] = await Promise.all([
          queries.recentTrades(instrument.symbol, 1),
          queries.tradeVolume(instrument.symbol, windowStart),
        ]);
        return {
          symbol: instrument.symbol,
          shardId,
          lastPrice: last ? atScale(last.price, instrument.priceScale) : null,
          lastTradeAt: last ? last.executedAt : null,
          volume24h: atScale(volume.quantity, instrument.quantityScale),
          trades24h: volume.trades,
        };
      }),
    );
    return { windowStart, markets };
  };

  app.get(
    '/v1/markets/summary',
    {
      schema: {
        tags: ['markets'],
        summary: 'Per market: last price and the quantity traded over a rolling 24-hour window',
        description:
          'From the trades the shards stored in MySQL: the latest trade, and the sum of the quantities of the trades ' +
          `executed in the 24 hours before the answer (computed at most every ${summaryCacheMs} ms).`,
        response: { 200: marketSummarySchema, ...errors },
      },
    },
    async () => {
      const version = catalog.version();
      if (version === undefined) throw new ApiError('UNAVAILABLE', 'no instruments loaded yet', { 'retry-after': '1' });
      const at = now();
      if (!summary || summary.version !== version || at - summary.at >= summaryCacheMs) {
        const answer = summarize(at);
        summary = { at, version, answer };
        // A failed read is not kept: the next request asks MySQL again.
        answer.catch(() => {
          if (summary?.answer === answer) summary = undefined;
        });
      }
      try {
        return await summary.answer;
      } catch {
        throw new ApiError('UNAVAILABLE', 'trades cannot be read right now', { 'retry-after': '1' });
      }
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
