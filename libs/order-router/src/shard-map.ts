import { parse as parseYaml } from 'yaml';
import { RouterError } from './errors';
import { rendezvousWeight } from './hash';

/** One matching-engine shard and the topics it reads and writes. */
export interface ShardInfo {
  readonly shardId: string;
  readonly kafkaInputTopic: string;
  readonly kafkaPreloadTopic: string;
  readonly kafkaOutputTopic: string;
  /** Where the shard dead-letters input it cannot process. */
  readonly kafkaDlqTopic: string;
  /** Symbols assigned to it explicitly (others may reach it by hash). */
  readonly symbols: readonly string[];
}

/** A shard as configured; topics default from the shard id (`<id>-input`, `-preload`, `-output`, `-dlq`). */
export interface ShardSpec {
  shardId: string;
  kafkaInputTopic?: string;
  /** Derived from the input topic when omitted: `x-input` → `x-preload`, otherwise `<input>-preload`. */
  kafkaPreloadTopic?: string;
  kafkaOutputTopic?: string;
  kafkaDlqTopic?: string;
  symbols?: string[];
}

export interface ShardMapConfig {
  /** false: one legacy engine on the `matching_engine_*` topics; `shards` is ignored. Default true. */
  shardingEnabled?: boolean;
  /** true: a symbol no shard lists is refused; false (default): it goes to a shard chosen by rendezvous hash. */
  explicitOnly?: boolean;
  shards?: ShardSpec[];
}

export const LEGACY_SHARD: ShardInfo = Object.freeze({
  shardId: 'legacy',
  kafkaInputTopic: 'matching_engine_input',
  kafkaPreloadTopic: 'matching_engine_preload',
  kafkaOutputTopic: 'matching_engine_output',
  kafkaDlqTopic: 'matching_engine_dlq',
  symbols: Object.freeze([]) as readonly string[],
});

const SHARD_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const SYMBOL = /^[A-Z0-9][A-Z0-9._/-]{0,31}$/;

/** Which shard owns which symbol. Immutable; validated when built. */
export interface ShardMap {
  readonly shardingEnabled: boolean;
  readonly explicitOnly: boolean;
  readonly shards: readonly ShardInfo[];
  /** The owning shard; throws ROUTER_ERR_UNKNOWN_SYMBOL in explicit-only mode for an unlisted symbol. */
  route(symbol: string): ShardInfo;
  shard(shardId: string): ShardInfo;
}

function invalid(message: string): RouterError {
  return new RouterError('ROUTER_ERR_INVALID_CONFIG', message);
}

function derivePreload(input: string): string {
  return input.endsWith('-input') ? `${input.slice(0, -'-input'.length)}-preload` : `${input}-preload`;
}

/** Validates a configuration and builds the map; every problem is a RouterError naming it. */
export function createShardMap(config: ShardMapConfig): ShardMap {
  if (typeof config !== 'object' || config === null) throw invalid('shard map must be an object');
  const shardingEnabled = config.shardingEnabled ?? true;
  const explicitOnly = config.explicitOnly ?? false;
  if (typeof shardingEnabled !== 'boolean' || typeof explicitOnly !== 'boolean') {
    throw invalid('shardingEnabled and explicitOnly must be booleans');
  }
  if (!shardingEnabled) {
    return Object.freeze({
      shardingEnabled,
      explicitOnly: false,
      shards: Object.freeze([LEGACY_SHARD]),
      route: () => LEGACY_SHARD,
      shard(shardId: string) {
        if (shardId !== LEGACY_SHARD.shardId)
          throw new RouterError('ROUTER_ERR_UNKNOWN_SHARD', `no shard "${shardId}" (sharding is disabled)`);
        return LEGACY_SHARD;
      },
    });
  }
  const specs = config.shards;
  if (!Array.isArray(specs) || specs.length === 0)
    throw new RouterError('ROUTER_ERR_NO_SHARDS', 'sharding is enabled but no shard is configured');

  const shards: ShardInfo[] = [];
  const byId = new Map<string, ShardInfo>();
  const owner = new Map<string, ShardInfo>();
  const topics = new Map<string, string>();
  for (const spec of specs) {
    if (typeof spec?.shardId !== 'string' || !SHARD_ID.test(spec.shardId)) {
      throw invalid(`shardId ${JSON.stringify(spec?.shardId)} must be 1-63 of a-z 0-9 _ -`);
    }
    const id = spec.shardId;
    if (byId.has(id)) throw new RouterError('ROUTER_ERR_DUPLICATE_SHARD', `shard "${id}" is listed twice`);
    const input = spec.kafkaInputTopic ?? `${id}-input`;
    const shard: ShardInfo = Object.freeze({
      shardId: id,
      kafkaInputTopic: input,
      kafkaPreloadTopic: spec.kafkaPreloadTopic ?? derivePreload(input),
      kafkaOutputTopic: spec.kafkaOutputTopic ?? `${id}-output`,
      kafkaDlqTopic: spec.kafkaDlqTopic ?? `${id}-dlq`,
      symbols: Object.freeze([...(spec.symbols ?? [])]),
    });
    for (const [role, topic] of [
      ['input', shard.kafkaInputTopic],
      ['preload', shard.kafkaPreloadTopic],
      ['output', shard.kafkaOutputTopic],
      ['dlq', shard.kafkaDlqTopic],
    ] as const) {
      if (typeof topic !== 'string' || !TOPIC.test(topic))
        throw invalid(`shard "${id}": ${role} topic ${JSON.stringify(topic)} is not a valid Kafka topic name`);
      const user = topics.get(topic);
      if (user)
        throw new RouterError(
          'ROUTER_ERR_TOPIC_CLASH',
          `topic "${topic}" is both ${user} and the ${role} topic of "${id}"`,
        );
      topics.set(topic, `the ${role} topic of "${id}"`);
    }
    if (!Array.isArray(spec.symbols ?? [])) throw invalid(`shard "${id}": symbols must be a list`);
    for (const symbol of shard.symbols) {
      if (typeof symbol !== 'string' || !SYMBOL.test(symbol))
        throw invalid(`shard "${id}": symbol ${JSON.stringify(symbol)} is not a valid symbol`);
      const other = owner.get(symbol);
      if (other)
        throw new RouterError(
          'ROUTER_ERR_SYMBOL_OWNED_TWICE',
          `symbol "${symbol}" is listed under "${other.shardId}" and "${id}"`,
        );
      owner.set(symbol, shard);
    }
    shards.push(shard);
    byId.set(id, shard);
  }

  const frozen = Object.freeze(shards);
  return Object.freeze({
    shardingEnabled,
    explicitOnly,
    shards: frozen,
    route(symbol: string): ShardInfo {
      const listed = owner.get(symbol);
      if (listed) return listed;
      if (explicitOnly) throw new RouterError('ROUTER_ERR_UNKNOWN_SYMBOL', `no shard lists symbol "${symbol}"`);
      // Rendezvous (highest random weight): adding a shard moves only the symbols the new shard now wins.
      let best = frozen[0] as ShardInfo;
      let bestWeight = -1;
      for (const shard of frozen) {
        const w = rendezvousWeight(shard.shardId, symbol);
        if (w > bestWeight || (w === bestWeight && shard.shardId < best.shardId)) {
          best = shard;
          bestWeight = w;
        }
      }
      return best;
    },
    shard(shardId: string): ShardInfo {
      const s = byId.get(shardId);
      if (!s) throw new RouterError('ROUTER_ERR_UNKNOWN_SHARD', `no shard "${shardId}"`);
      return s;
    },
  });
}

/** Parses a shard map file's text (JSON or YAML; reading the file is the caller's business). */
export function parseShardMap(text: string, format: 'json' | 'yaml'): ShardMap {
  let data: unknown;
  try {
    data = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw invalid(`shard map is not valid ${format.toUpperCase()}: ${(err as Error).message}`);
  }
  return createShardMap(data as ShardMapConfig);
}

/**
 * A shard map from environment variables (passed in; libs never read process.env):
 * SHARDING_ENABLED=false for the legacy engine; SHARD_MAP (JSON) for a full map; or SHARD_COUNT=N for shard-1..shard-N
 * with every symbol placed by hash.
 */
export function shardMapFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  /** Reads SHARD_MAP_FILE (a .json or .yaml/.yml file), which wins over the variables when set. */
  readFile?: (path: string) => string,
): ShardMap {
  const file = env['SHARD_MAP_FILE'];
  if (file && readFile) return parseShardMap(readFile(file), /\.ya?ml$/i.test(file) ? 'yaml' : 'json');
  const enabled = env['SHARDING_ENABLED'];
  if (enabled !== undefined && enabled !== 'true' && enabled !== 'false')
    throw invalid(`SHARDING_ENABLED must be true or false, got "${enabled}"`);
  if (enabled === 'false') return createShardMap({ shardingEnabled: false });
  if (env['SHARD_MAP']) return parseShardMap(env['SHARD_MAP'], 'json');
  const count = env['SHARD_COUNT'];
  if (count === undefined || !/^[1-9]\d{0,3}$/.test(count))
    throw invalid(`set SHARD_MAP (JSON) or SHARD_COUNT (1-9999), got SHARD_COUNT="${count ?? ''}"`);
  return createShardMap({ shards: Array.from({ length: Number(count) }, (_, i) => ({ shardId: `shard-${i + 1}` })) });
}
