import { decodeEvent, type EngineState } from '@shardex/contracts';
import { createDb, readShardHealth } from '@shardex/db';
import { createKafkaConsumer, groupLag } from '@shardex/kafka';
import type { Command } from 'commander';
import { OrchestratorError } from '../errors';
import { type Fleet, type FleetFlags, KAFKA_BROKERS_ENV, resolveFleet } from '../fleet';
import type { Io } from '../io';
import { formatTable } from '../table';
import { readTails } from '../lifecycle/tail';
import { type Env, MYSQL_URL_ENV, resolveMysqlUrl } from '../mysql-url';

/** One shard as `status` shows it; null where the source was not available. */
export interface ShardStatus {
  shardId: string;
  /** From its latest ENGINE_STATE in the output tail; null when none is in the tail. */
  state: EngineState | null;
  symbols: string[] | null;
  /** The highest event sequence in the output tail. */
  lastSeq: number | null;
  /** Input records its consumer group has not committed yet. */
  inputLag: number | null;
  snapshot: { seq: number; ageMs: number } | null;
  writer: { owner: string; live: boolean } | null;
  /** Its latest lifecycle rejection or dead letter in the tails. */
  lastError: string | null;
  /** RUNNING with a live writer. */
  ready: boolean;
}

export type ReadStatus = (
  fleet: Fleet,
  options: { mysqlUrl?: string; groupPrefix: string; tail: number },
) => Promise<{ shards: ShardStatus[]; complete: boolean }>;

/** Kafka (output and dead-letter tails, the engines' consumer groups) and, when given, MySQL (snapshots, leases). */
export const readFleetStatus: ReadStatus = async (fleet, { mysqlUrl, groupPrefix, tail }) => {
  const shards = fleet.shardMap.shards;
  const { messages, complete } = await readTails({
    brokers: fleet.brokers,
    client: fleet.client,
    topics: shards.flatMap((s) => [s.kafkaOutputTopic, s.kafkaDlqTopic]),
    perPartition: tail,
  });
  const db = mysqlUrl ? createDb({ url: mysqlUrl, poolMax: 2 }) : undefined;
  const now = Date.now();
  try {
    return {
      complete,
      shards: await Promise.all(
        shards.map(async (shard): Promise<ShardStatus> => {
          let state: EngineState | null = null;
          let symbols: string[] | null = null;
          let stateSeq = 0;
          let lastSeq: number | null = null;
          let lastError: string | null = null;
          let errorSeq = 0;
          for (const m of messages) {
            if (m.topic === shard.kafkaOutputTopic) {
              const d = decodeEvent({ value: m.value, headers: m.headers as Record<string, Buffer> });
              if (!d.ok) continue;
              const e = d.value;
              lastSeq = Math.max(lastSeq ?? 0, e.seq);
              if (e.code === 'ENGINE_STATE' && e.seq > stateSeq) {
                stateSeq = e.seq;
                state = e.payload.state;
                symbols = e.payload.symbols;
              }
              if (
                e.code === 'ORDER_REJECTED' &&
                (e.payload.reason === 'INVALID_STATE' || e.payload.reason === 'INVALID_INSTRUMENTS') &&
                e.seq > errorSeq
              ) {
                errorSeq = e.seq;
                lastError = `${e.payload.reason}: ${e.payload.message}`;
              }
            } else if (m.topic === shard.kafkaDlqTopic && lastError === null) {
              const h = (name: string) => m.headers[name]?.toString();
              lastError = `dead letter ${h('shardex-dlq-code') ?? ''}: ${h('shardex-dlq-reason') ?? ''}`;
            }
          }
          let inputLag: number | null;
          const group = createKafkaConsumer({
            brokers: fleet.brokers,
            client: fleet.client,
            groupId: `${groupPrefix}-${shard.shardId}`,
            clientId: 'shardex-orchestrator',
          });
          try {
            await group.connect();
            const [committed, end] = await Promise.all([
              group.committedOffsets(shard.kafkaInputTopic),
              group.latestOffsets(shard.kafkaInputTopic),
            ]);
            inputLag = groupLag(committed, end);
          } catch {
            inputLag = null;
          } finally {
            await group.disconnect().catch(() => undefined);
          }
          const health = db ? await readShardHealth(db, shard.shardId) : undefined;
          const writer = health?.lease ? { owner: health.lease.owner, live: health.lease.live } : null;
          return {
            shardId: shard.shardId,
            state,
            symbols,
            lastSeq,
            inputLag,
            snapshot: health?.snapshot ? { seq: health.snapshot.seq, ageMs: now - health.snapshot.takenAt } : null,
            writer,
            lastError,
            ready: state === 'RUNNING' && (db === undefined || writer?.live === true),
          };
        }),
      ),
    };
  } finally {
    await db?.destroy();
  }
};

const age = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`);

export function formatStatus(shards: readonly ShardStatus[]): string {
  return formatTable(
    ['SHARD', 'STATE', 'SYMBOLS', 'LAST SEQ', 'INPUT LAG', 'SNAPSHOT', 'WRITER', 'READY', 'LAST ERROR'],
    shards.map((s) => [
      s.shardId,
      s.state ?? '?',
      s.symbols ? String(s.symbols.length) : '?',
      s.lastSeq === null ? '?' : String(s.lastSeq),
      s.inputLag === null ? '?' : String(s.inputLag),
      s.snapshot ? `seq ${s.snapshot.seq}, ${age(s.snapshot.ageMs)} ago` : '-',
      s.writer ? `${s.writer.owner}${s.writer.live ? '' : ' (expired)'}` : '-',
      s.ready ? 'yes' : 'no',
      s.lastError ?? '',
    ]),
  );
}

export interface StatusCommandDeps {
  io: Io;
  env: Env;
  readStatus?: ReadStatus;
  readFile?: (path: string) => string;
}

/** `status`: every shard's state, lag, snapshot and writer; exit 1 unless every shard is RUNNING with a live writer. */
export function registerStatusCommand(program: Command, deps: StatusCommandDeps): void {
  const readStatus = deps.readStatus ?? readFleetStatus;
  const cmd = program
    .command('status')
    .description(
      'Per shard: lifecycle state and instruments (its latest ENGINE_STATE), last sequence, input lag, last snapshot, writer lease, readiness and last error',
    )
    .option('--brokers <list>', `Kafka brokers host:port[,...] (default: env ${KAFKA_BROKERS_ENV})`)
    .option('--shard-map <file>', 'the shard map file (default: env SHARD_MAP_FILE, SHARD_MAP or SHARD_COUNT)')
    .option(
      '--mysql-url <url>',
      `snapshots and leases from this database (default: env ${MYSQL_URL_ENV}; skipped without)`,
    )
    .option('--group-prefix <prefix>', 'the shards’ CONSUMER_GROUP_PREFIX (default: env, else shardex-engine)')
    .option('--tail <n>', 'events read back from the end of each output partition', '5000')
    .option('--json', 'print one JSON object { shards: [...] }');
  cmd.action(async () => {
    const flags = cmd.opts<FleetFlags & { mysqlUrl?: string; groupPrefix?: string; tail: string; json?: boolean }>();
    const fleet = resolveFleet(flags, deps.env, deps.readFile);
    const tail = Number(flags.tail);
    if (!/^\d+$/.test(flags.tail) || tail < 1 || tail > 1_000_000)
      throw new OrchestratorError('ORCH_ERR_USAGE', `--tail must be an integer 1-1000000, got "${flags.tail}"`);
    const mysqlUrl =
      flags.mysqlUrl !== undefined || deps.env[MYSQL_URL_ENV] ? resolveMysqlUrl(flags.mysqlUrl, deps.env) : undefined;
    const groupPrefix = flags.groupPrefix ?? deps.env['CONSUMER_GROUP_PREFIX'] ?? 'shardex-engine';
    const { shards, complete } = await readStatus(fleet, {
      groupPrefix,
      tail,
      ...(mysqlUrl ? { mysqlUrl } : {}),
    });
    deps.io.out(flags.json ? `${JSON.stringify({ shards, complete })}\n` : formatStatus(shards));
    if (!complete && !flags.json) deps.io.err('warning: not every output tail could be read in time\n');
    const notReady = shards.filter((s) => !s.ready);
    if (notReady.length > 0)
      throw new OrchestratorError(
        'ORCH_ERR_SHARDS_FAILED',
        `${notReady.length} of ${shards.length} shard(s) not ready: ${notReady.map((s) => `${s.shardId} ${s.state ?? 'unknown'}`).join(', ')}`,
      );
  });
}
