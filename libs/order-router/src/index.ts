export { createShardMap, LEGACY_SHARD, parseShardMap, shardMapFromEnv } from './shard-map';
export type { ShardInfo, ShardMap, ShardMapConfig, ShardSpec } from './shard-map';
export { createOrderRouter, OrderRouter } from './order-router';
export type { OrderRouterOptions, RouterLogger, RoutingResult } from './order-router';
export type { OutgoingRecord, ProducerPort } from './producer.port';
export { murmur3, rendezvousWeight } from './hash';
export { ROUTER_ERROR_CODES, RouterError } from './errors';
export type { RouterErrorCode } from './errors';
