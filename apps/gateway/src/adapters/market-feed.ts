import { ApiError } from '../errors';
import type { MarketDataFeed, OrderOutcome as FeedOutcome } from '../market-data';
import type { MarketFeed, OrderOutcome } from '../ports';

/**
 * The output-topic feed as the order routes' MarketFeed. Only a complete outcome (every event of the place command
 * seen) is an answer; anything less after the wait is `undefined`, which the route answers as 202 `unknown` —
 * never a guess at a status that more events could still change.
 */
export function feedPort(feed: Pick<MarketDataFeed, 'waitForOrder' | 'depth' | 'ready'>): MarketFeed {
  return {
    waitForOrder(orderId, timeoutMs) {
      const abort = new AbortController();
      let outcome: Promise<FeedOutcome | undefined>;
      try {
        outcome = feed.waitForOrder(orderId, timeoutMs, { signal: abort.signal });
      } catch (err) {
        // Too many waits pending (or the feed stopped): refuse before anything is produced.
        throw new ApiError('UNAVAILABLE', `the gateway cannot wait for more results now: ${(err as Error).message}`, {
          'retry-after': '1',
        });
      }
      return { outcome: outcome.then((o) => (o?.complete ? toOutcome(o) : undefined)), cancel: () => abort.abort() };
    },
    depth(symbol, levels) {
      const d = feed.depth(symbol);
      if (!d) return undefined;
      return {
        symbol: d.symbol,
        shardId: d.shardId,
        seq: d.u,
        bids: d.bids.slice(0, levels),
        asks: d.asks.slice(0, levels),
      };
    },
    ready: () => feed.ready(),
  };
}

function toOutcome(o: FeedOutcome): OrderOutcome {
  return {
    status: o.status,
    filledQuantity: o.filledQuantity,
    ...(o.closed ? { reason: o.closed.reason } : {}),
    ...(o.rejection
      ? {
          rejection: {
            reason: o.rejection.reason,
            message: o.rejection.message,
            ...(o.rejection.detail ? { detail: o.rejection.detail } : {}),
          },
        }
      : {}),
    fills: o.fills.map((f) => ({
      tradeId: f.tradeId,
      price: f.price,
      quantity: f.quantity,
      liquidity: f.liquidity === 'TAKER' ? 'taker' : 'maker',
    })),
  };
}
