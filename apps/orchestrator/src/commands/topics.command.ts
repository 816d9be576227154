import { ensureTopics, type KafkaClientName, shardTopics, type TopicSpec } from '@shardex/kafka';
import type { Command } from 'commander';
import { OrchestratorError } from '../errors';
import { type FleetFlags, KAFKA_BROKERS_ENV, resolveFleet } from '../fleet';
import type { Io } from '../io';
import { formatTable } from '../table';
import type { Env } from '../mysql-url';

/** Creates what is missing, checks what exists; libs/kafka's ensureTopics in production. */
export type CreateTopics = (
  kafka: { brokers: string[]; client: KafkaClientName },
  specs: readonly TopicSpec[],
) => Promise<{ created: string[]; existing: string[] }>;

export interface TopicsCommandDeps {
  io: Io;
  env: Env;
  createTopics?: CreateTopics;
  readFile?: (path: string) => string;
}

interface Flags extends FleetFlags {
  partitions: string;
  replicationFactor: string;
  minInsyncReplicas?: string;
  retentionHours: string;
  json?: boolean;
}

function positive(name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max)
    throw new OrchestratorError('ORCH_ERR_USAGE', `${name} must be an integer 1-${max}, got "${raw}"`);
  return n;
}

/** `topics create`: every input, preload, output and dead-letter topic of the shard map, idempotently. */
export function registerTopicsCommand(program: Command, deps: TopicsCommandDeps): void {
  const createTopics: CreateTopics = deps.createTopics ?? ((kafka, specs) => ensureTopics(kafka, specs));
  const topics = program.command('topics').description('Kafka topics of the shard map');
  const create = topics
    .command('create')
    .description(
      'Create every shard topic that is missing and check the ones that exist (an input or preload topic with more than one partition is an error: the engine is deterministic over their order)',
    )
    .option('--brokers <list>', `Kafka brokers host:port[,...] (default: env ${KAFKA_BROKERS_ENV})`)
    .option('--shard-map <file>', 'the shard map file (default: env SHARD_MAP_FILE, SHARD_MAP or SHARD_COUNT)')
    .option('--partitions <n>', 'partitions of each output topic (keyed by symbol)', '6')
    .option('--replication-factor <n>', 'replicas of every topic', '1')
    .option(
      '--min-insync-replicas <n>',
      'replicas that must have a record before acks=all confirms it (default: 2 when replicated, else 1)',
    )
    .option('--retention-hours <n>', 'how long every topic keeps records', '168')
    .option('--json', 'print one JSON object { created: [...], existing: [...] }');
  create.action(async () => {
    const flags = create.opts<Flags>();
    const fleet = resolveFleet(flags, deps.env, deps.readFile);
    const replicationFactor = positive('--replication-factor', flags.replicationFactor, 32);
    const minInsyncReplicas =
      flags.minInsyncReplicas !== undefined
        ? positive('--min-insync-replicas', flags.minInsyncReplicas, 32)
        : Math.min(2, replicationFactor);
    if (minInsyncReplicas > replicationFactor)
      throw new OrchestratorError('ORCH_ERR_USAGE', '--min-insync-replicas cannot exceed --replication-factor');
    const specs = shardTopics(fleet.shardMap, {
      partitions: positive('--partitions', flags.partitions, 10_000),
      replicationFactor,
      minInsyncReplicas,
      retentionMs: positive('--retention-hours', flags.retentionHours, 24 * 365 * 10) * 3_600_000,
    });
    let result;
    try {
      result = await createTopics({ brokers: fleet.brokers, client: fleet.client }, specs);
    } catch (err) {
      throw new OrchestratorError('ORCH_ERR_TOPICS', (err as Error).message, { cause: err });
    }
    if (flags.json) {
      deps.io.out(`${JSON.stringify(result)}\n`);
      return;
    }
    deps.io.out(
      formatTable(
        ['TOPIC', 'PARTITIONS', 'STATUS'],
        specs.map((s) => [s.topic, String(s.partitions), result.created.includes(s.topic) ? 'created' : 'exists']),
      ),
    );
  });
}
