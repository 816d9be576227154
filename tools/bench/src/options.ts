import { parseArgs } from 'node:util';
import { isDatabaseUrl } from '@shardex/db';
import { KAFKA_CLIENTS, type KafkaClientName, parseKafkaClient } from '@shardex/kafka';
import { type PhaseSpec, perKafkaClient, selectPhases } from './phases';

/** A running stack to drive as it is (no processes of the bench's own, no topology changes). */
export interface TargetOptions {
  url: string;
  /** API keys to send orders with (one user each); none: `users` keys are created with the orchestrator and revoked after. */
  apiKeys: string[];
  mysqlUrl: string;
  kafkaBrokers: string[];
  shardMapFile: string;
  shardMetrics: string[];
}

export interface BenchOptions {
  phases: PhaseSpec[];
  /** Measured seconds of each phase. */
  seconds: number;
  /** Seconds of load before each measurement (JIT, pools, caches), not counted; 0: none. */
  warmupSeconds: number;
  rate: number | undefined;
  connections: number;
  batchConnections: number;
  batchSize: number;
  users: number;
  /** accept→persisted is measured on one order in `sampleEvery`. */
  sampleEvery: number;
  pollMs: number;
  seed: number;
  cpuProf: boolean;
  outDir: string;
  instrumentsFile: string;
  depthEveryCommands: number;
  /** Partitions of each output topic (`orchestrator topics create --partitions`); undefined: the orchestrator's default. */
  outputPartitions: number | undefined;
  drainTimeoutSeconds: number;
  target: TargetOptions | undefined;
  help: boolean;
}

export const USAGE = `npm run bench [-- options]      the end-to-end benchmark (tools/bench; BENCHMARKS.md has the figures)

Starts its own gateway and matching-engine shards (production bundles) for each phase, each phase on its own
database and topics on the "stack" Kafka and MariaDB of tools/infra, drives them over HTTP and reports orders
accepted/s, commands applied/s per shard, rows persisted/s and the latencies HTTP accept, accept→matched and
accept→persisted. Writes bench-results/<date>.json and .md; the last line printed is one JSON object.

  --phases list            which phases, comma-separated (default: all): 2-shards (1, headline), 2-shards-batch
                           (2, batch), 1-shard (3), 2-shards-sync (4, sync), 2-shards-rate (5, rate; needs --rate)
  --seconds n              measured seconds per phase (env BENCH_SECONDS, default 20)
  --warmup n               seconds of unmeasured load first (env BENCH_WARMUP, default 3)
  --rate n                 adds a phase at n orders/s on a fixed schedule, latency CO-corrected (env BENCH_RATE)
  --connections n          connections of the single-order phases (default 256)
  --batch-connections n    connections of the batch phase (default 16)
  --batch-size n           orders per batch request, 1-20 (default 20)
  --users n                users, one API key each (default 32)
  --sample n               accept→persisted on one order in n (default 10)
  --poll-ms n              how often the sampled orders' rows are looked for (default 25)
  --seed n                 the order flow's seed (default 1)
  --kafka-clients list     run each phase once per Kafka client library, comma-separated (env BENCH_KAFKA_CLIENTS;
                           default: KAFKA_CLIENT, else the apps' default): ${KAFKA_CLIENTS.join(', ')}
  --depth-every n          the shards' DEPTH_EVERY_COMMANDS (default 1, as the stack and the deployments run)
  --output-partitions n    partitions of each output topic (default: orchestrator topics create's, 6)
  --drain-timeout n        seconds to wait after the load for the shards to catch up (default 30)
  --cpu-prof               run the apps under --cpu-prof (bench-results/profiles/…) and print where the time went
  --out dir                where the results go (default bench-results)
  --instruments file       instrument specs (default k8s/base/config/instruments.json)

Driving a running stack instead (npm run stack), with no topology changes (phases 1-shard and sync are skipped):
  --target url             the gateway, e.g. http://127.0.0.1:8080
  --api-keys k1,k2,…       keys to use (default: --users keys created with the orchestrator, revoked after)
  --mysql-url url          its database (default mysql://shardex:shardex@127.0.0.1:23306/shardex)
  --kafka-brokers list     its Kafka (default 127.0.0.1:29092)
  --shard-map file         its shard map (default k8s/base/config/shard-map.json)
  --shard-metrics urls     its shards' /metrics (default http://127.0.0.1:9464/metrics,http://127.0.0.1:9465/metrics)
`;

export function positiveInt(name: string, raw: string | undefined, fallback: number, max = 10_000_000): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw new Error(`${name} must be an integer 1-${max}, got "${raw}"`);
  return Number(raw);
}

function nonNegativeInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A comma-separated list of Kafka client names (`--kafka-clients`, `--clients`), each checked. */
export function kafkaClientList(flag: string, raw: string | undefined): KafkaClientName[] {
  return list(raw).map((c) => {
    const name = parseKafkaClient(c);
    if (!name) throw new Error(`${flag}: "${c}" is not one of ${KAFKA_CLIENTS.join(', ')}`);
    return name;
  });
}

/** Parses the command line (and the BENCH_* variables it falls back to); every problem is an Error naming it. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      phases: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      'batch-connections': { type: 'string' },
      'batch-size': { type: 'string' },
      users: { type: 'string' },
      sample: { type: 'string' },
      'poll-ms': { type: 'string' },
      seed: { type: 'string' },
      'kafka-clients': { type: 'string' },
      'depth-every': { type: 'string' },
      'output-partitions': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      out: { type: 'string' },
      instruments: { type: 'string' },
      target: { type: 'string' },
      'api-keys': { type: 'string' },
      'mysql-url': { type: 'string' },
      'kafka-brokers': { type: 'string' },
      'shard-map': { type: 'string' },
      'shard-metrics': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const rawRate = values.rate ?? env['BENCH_RATE'];
  const rate = rawRate === undefined || rawRate === '' ? undefined : positiveInt('--rate', rawRate, 0);
  const batchSize = positiveInt('--batch-size', values['batch-size'], 20, 20);
  const clients = kafkaClientList(
    '--kafka-clients',
    values['kafka-clients'] ?? env['BENCH_KAFKA_CLIENTS'] ?? env['KAFKA_CLIENT'],
  );
  let phases = perKafkaClient(selectPhases(values.phases, batchSize, rate), clients);
  let target: TargetOptions | undefined;
  if (values.target !== undefined) {
    if (!/^https?:\/\/[^/]+\/?$/.test(values.target))
      throw new Error(`--target must be the gateway's base URL, e.g. http://127.0.0.1:8080, got "${values.target}"`);
    const mysqlUrl = values['mysql-url'] ?? 'mysql://shardex:shardex@127.0.0.1:23306/shardex';
    if (!isDatabaseUrl(mysqlUrl)) throw new Error('--mysql-url must be mysql://user:password@host:port/database');
    target = {
      url: values.target.replace(/\/$/, ''),
      apiKeys: list(values['api-keys']),
      mysqlUrl,
      kafkaBrokers: list(values['kafka-brokers'] ?? '127.0.0.1:29092'),
      shardMapFile: values['shard-map'] ?? 'k8s/base/config/shard-map.json',
      shardMetrics: list(values['shard-metrics'] ?? 'http://127.0.0.1:9464/metrics,http://127.0.0.1:9465/metrics'),
    };
    if (values['cpu-prof']) throw new Error('--cpu-prof profiles the processes the bench starts: not with --target');
    phases = phases.filter((p) => !p.needsOwnStack);
    if (phases.length === 0) throw new Error('none of the chosen phases can run against a running stack');
  } else {
    for (const flag of ['api-keys', 'mysql-url', 'kafka-brokers', 'shard-map', 'shard-metrics'] as const)
      if (values[flag] !== undefined) throw new Error(`--${flag} describes a running stack: it needs --target`);
  }
  return {
    phases,
    seconds: positiveInt('--seconds', values.seconds ?? env['BENCH_SECONDS'], 20, 3_600),
    warmupSeconds: nonNegativeInt('--warmup', values.warmup ?? env['BENCH_WARMUP'], 3),
    rate,
    connections: positiveInt('--connections', values.connections, 256, 4_096),
    batchConnections: positiveInt('--batch-connections', values['batch-connections'], 16, 4_096),
    batchSize,
    users: positiveInt('--users', values.users, 32, 10_000),
    sampleEvery: positiveInt('--sample', values.sample, 10),
    pollMs: positiveInt('--poll-ms', values['poll-ms'], 25, 10_000),
    seed: nonNegativeInt('--seed', values.seed, 1),
    cpuProf: values['cpu-prof'] === true,
    outDir: values.out ?? 'bench-results',
    instrumentsFile: values.instruments ?? 'k8s/base/config/instruments.json',
    depthEveryCommands: positiveInt('--depth-every', values['depth-every'], 1),
    outputPartitions:
      values['output-partitions'] === undefined
        ? undefined
        : positiveInt('--output-partitions', values['output-partitions'], 6, 1_000),
    drainTimeoutSeconds: positiveInt('--drain-timeout', values['drain-timeout'], 30, 3_600),
    target,
    help: values.help === true,
  };
}
