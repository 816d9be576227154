export { createMarketDataFeed } from './market-data-feed';
export type {
  DepthMessage,
  MarketDataFeed,
  MarketDataFeedOptions,
  MarketDataStats,
  OrderMessage,
  TradeMessage,
} from './market-data-feed';
export type { DepthSnapshot, PublicTrade } from './market-state';
export type { OrderFill, OrderOutcome, OrderStatus, WaitOptions } from './order-tracker';
export { depthChannel, ordersChannel, tradesChannel } from './subscription-hub';
export type { HubListener } from './subscription-hub';
export type { EventConsumerPort } from './event-consumer.port';
export { MARKET_DATA_ERROR_CODES, MarketDataError } from './errors';
export type { MarketDataErrorCode } from './errors';
export type { ShardActivityView } from './shard-activity';
