import { CodedError } from '@shardex/contracts';

export const ROUTER_ERROR_CODES = {
  ROUTER_ERR_INVALID_CONFIG: 'The shard map is malformed (not an object, bad shard id or topic name, bad YAML/JSON).',
  ROUTER_ERR_NO_SHARDS: 'Sharding is enabled but the map lists no shard.',
  ROUTER_ERR_DUPLICATE_SHARD: 'Two shards have the same shardId.',
  ROUTER_ERR_SYMBOL_OWNED_TWICE: 'A symbol is listed under two shards.',
  ROUTER_ERR_TOPIC_CLASH: 'A topic name is used twice (by two shards, or for two roles of one shard).',
  ROUTER_ERR_UNKNOWN_SYMBOL: 'The map is explicit-only and no shard lists this symbol.',
  ROUTER_ERR_UNKNOWN_SHARD: 'No shard has this shardId.',
  ROUTER_ERR_SEND: 'The producer failed to deliver a command; `cause` has the reason.',
} as const;

export type RouterErrorCode = keyof typeof ROUTER_ERROR_CODES;

export class RouterError extends CodedError<RouterErrorCode> {
  override readonly name = 'RouterError';
}
