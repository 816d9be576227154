import { readFileSync } from 'node:fs';
import { KAFKA_CLIENTS, type KafkaClientName, parseBrokerList, parseKafkaClient } from '@shardex/kafka';
import { type ShardMap, shardMapFromEnv } from '@shardex/order-router';
import { OrchestratorError } from './errors';
import type { Env } from './mysql-url';

/** Where the fleet is: the brokers and the shard map, read exactly as the gateway and the shards read them. */
export interface Fleet {
  brokers: string[];
  /** KAFKA_CLIENT: the Kafka client library the orchestrator's own producer and consumers use. */
  client: KafkaClientName;
  shardMap: ShardMap;
}

export const KAFKA_BROKERS_ENV = 'KAFKA_BROKERS';

/** Flags shared by the fleet commands; env fills in what a flag leaves out. */
export interface FleetFlags {
  brokers?: string;
  shardMap?: string;
}

/**
 * `--brokers` or KAFKA_BROKERS; `--shard-map <file>` or the shard map variables of the other apps (SHARD_MAP_FILE,
 * SHARD_MAP, SHARD_COUNT, SHARDING_ENABLED). A missing or malformed setting is ORCH_ERR_USAGE naming it (exit 2).
 */
export function resolveFleet(
  flags: FleetFlags,
  env: Env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Fleet {
  const raw = flags.brokers ?? env[KAFKA_BROKERS_ENV] ?? '';
  const brokers = parseBrokerList(raw);
  if (!brokers)
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `Kafka brokers: pass --brokers or set ${KAFKA_BROKERS_ENV} as host:port[,host:port...], got "${raw}"`,
    );
  const client = parseKafkaClient(env['KAFKA_CLIENT']);
  if (!client)
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `KAFKA_CLIENT must be one of ${KAFKA_CLIENTS.join(', ')}, got "${env['KAFKA_CLIENT']}"`,
    );
  let shardMap: ShardMap;
  try {
    shardMap = shardMapFromEnv(flags.shardMap ? { ...env, SHARD_MAP_FILE: flags.shardMap } : env, readFile);
  } catch (err) {
    throw new OrchestratorError('ORCH_ERR_USAGE', `shard map: ${(err as Error).message}`);
  }
  return { brokers, client, shardMap };
}
