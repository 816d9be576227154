import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstrumentSpec } from '@shardex/contracts';
import type { ShardSpec } from '@shardex/order-router';
import type { Kafka } from 'kafkajs';
import mysql from 'mysql2/promise';
import type { Cleanup } from './cleanup';
import type { DriveTarget } from './drive';
import { deleteTopicsAndGroups } from './kafka-admin';
import type { PhaseSpec } from './phases';
import { type AppProcess, freePort, runCli, startApp } from './processes';

export interface OwnStackContext {
  root: string;
  brokers: readonly string[];
  /** mysql://user:pw@host:port/ */
  serverUrl: string;
  kafka: Kafka;
  instruments: readonly InstrumentSpec[];
  /** tools/infra's broker and database server, for CPU accounting. */
  infraPids: { kafka?: number; mariadb?: number };
  /** Unique per run: part of every database, topic, group and clientOrderId name. */
  runId: string;
  users: number;
  depthEveryCommands: number;
  outputPartitions: number | undefined;
  /** Where the phase's logs, shard map and instruments go. */
  workDir: string;
  /** --cpu-prof: where each process writes its .cpuprofile. */
  profileDir: string | undefined;
}

export interface OwnStack {
  target: DriveTarget;
  apps: AppProcess[];
  database: string;
}

const dist = (root: string, app: string) => path.join(root, 'dist/apps', app, 'main.js');

/**
 * The symbols in contiguous runs over the shards (with the stack's four instruments and two shards: BTC-USDT and
 * ETH-USDT on shard-1, SOL-USDT and XRP-USDT on shard-2).
 */
export function phaseShardMap(
  symbols: readonly string[],
  shards: number,
  topicPrefix: string,
): { shards: Array<Required<ShardSpec>> } {
  return {
    shards: Array.from({ length: shards }, (_, k) => ({
      shardId: `shard-${k + 1}`,
      kafkaInputTopic: `${topicPrefix}-shard-${k + 1}-input`,
      kafkaPreloadTopic: `${topicPrefix}-shard-${k + 1}-preload`,
      kafkaOutputTopic: `${topicPrefix}-shard-${k + 1}-output`,
      kafkaDlqTopic: `${topicPrefix}-shard-${k + 1}-dlq`,
      symbols: symbols.filter((_, i) => Math.floor((i * shards) / symbols.length) === k),
    })),
  };
}

/**
 * Sets up one phase the way an operator would, each step registering its undo in `cleanup` as soon as it succeeded:
 * a database of its own; a shard map naming topics of its own (passed to every process, as SHARD_MAP_FILE); the
 * topics (`orchestrator topics create`); the shards (production bundle, each migrating the database); instruments
 * and trading on (`orchestrator init --wait`, `start --wait`); an API key per user (`orchestrator keys create`); and
 * the gateway. Every process logs to workDir.
 */
export async function startOwnStack(
  c: OwnStackContext,
  phase: PhaseSpec,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<OwnStack> {
  const tag = `${c.runId}_${phase.id.replace(/-/g, '_')}`;
  const database = `bench_${tag}`;
  const topicPrefix = `bench-${c.runId}-${phase.id}`;
  const groupPrefix = `bench-${c.runId}-${phase.id}-engine`;
  mkdirSync(c.workDir, { recursive: true });
  const mysqlUrl = `${c.serverUrl.replace(/\/$/, '')}/${database}`;
  const apps: AppProcess[] = [];
  const cliPids: number[] = [];

  const admin = await mysql.createConnection(c.serverUrl);
  try {
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
  cleanup.defer(`drop database ${database}`, async () => {
    const conn = await mysql.createConnection(c.serverUrl);
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await conn.end();
    }
  });

  const map = phaseShardMap(
    c.instruments.map((i) => i.symbol),
    phase.shards,
    topicPrefix,
  );
  const shardMapFile = path.join(c.workDir, 'shard-map.json');
  writeFileSync(shardMapFile, `${JSON.stringify(map, null, 2)}\n`);
  const instrumentsFile = path.join(c.workDir, 'instruments.json');
  writeFileSync(instrumentsFile, `${JSON.stringify(c.instruments, null, 2)}\n`);
  const topics = map.shards.flatMap((s) => [
    s.kafkaInputTopic,
    s.kafkaPreloadTopic,
    s.kafkaOutputTopic,
    s.kafkaDlqTopic,
  ]);
  const benchGroup = `bench-${c.runId}-${phase.id}-watcher`;
  const host = os.hostname();
  // Stops the processes first (a group with members cannot be deleted), then deletes topics and the run's groups:
  // the engines', the bench's, and those the orchestrator and the gateway name after their pid.
  cleanup.defer(`delete topics ${topicPrefix}-* and their consumer groups`, async () => {
    await deleteTopicsAndGroups(
      c.kafka,
      topics,
      (g) =>
        g.startsWith(groupPrefix) ||
        g === benchGroup ||
        cliPids.some(
          (p) => g.startsWith(`shardex-orchestrator-${p}-`) || g.startsWith(`shardex-orchestrator-tail-${p}-`),
        ) ||
        apps.some((a) => g.startsWith(`shardex-gateway-md-${host}-${a.pid}-`)),
    );
  });
  cleanup.defer('stop the phase’s processes', async () => {
    // Gateway first (no new orders), then the shards: each finishes its batch, flushes, snapshots, exits.
    for (const app of [...apps].reverse()) await app.stop(30_000);
  });

  const common = {
    KAFKA_BROKERS: c.brokers.join(','),
    ...(phase.kafkaClient ? { KAFKA_CLIENT: phase.kafkaClient } : {}),
    MYSQL_URL: mysqlUrl,
    SHARD_MAP_FILE: shardMapFile,
  };
  const orchestrator = (...args: string[]) =>
    runCli(dist(c.root, 'orchestrator'), args, common, { cwd: c.root, onSpawn: (pid) => cliPids.push(pid) });
  const nodeArgs = (name: string) =>
    c.profileDir ? ['--cpu-prof', '--cpu-prof-dir', c.profileDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];

  log(`  topics: orchestrator topics create (${topicPrefix}-shard-N-*)`);
  await orchestrator(
    'topics',
    'create',
    ...(c.outputPartitions === undefined ? [] : ['--partitions', String(c.outputPartitions)]),
  );

  const shards: DriveTarget['shards'][number][] = [];
  const processes: Record<string, number> = {};
  for (const spec of map.shards) {
    const { shardId } = spec;
    const port = await freePort();
    const name = `matching-engine-${shardId}`;
    const app = await startApp({
      name,
      script: dist(c.root, 'matching-engine'),
      env: {
        ...common,
        SHARD_ID: shardId,
        NODE_ID: `bench-${c.runId}-${shardId}`,
        HTTP_PORT: String(port),
        CONSUMER_GROUP_PREFIX: groupPrefix,
        DEPTH_EVERY_COMMANDS: String(c.depthEveryCommands),
        WRITE_BUFFER: phase.writeBuffer,
        LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${port}/health`,
      logFile: path.join(c.workDir, `${name}.log`),
      nodeArgs: nodeArgs(name),
      cwd: c.root,
    });
    apps.push(app);
    shards.push({ shardId, metricsUrl: `http://127.0.0.1:${port}/metrics` });
    processes[shardId] = app.pid;
  }
  log(
    `  shards: ${shards.map((s) => s.shardId).join(', ')} (WRITE_BUFFER=${phase.writeBuffer}, KAFKA_CLIENT=${phase.kafkaClient ?? 'default'})`,
  );

  log('  instruments and trading on: orchestrator init --wait, start --wait');
  await orchestrator('init', '--instruments', instrumentsFile, '--wait', '--timeout', '60s');
  await orchestrator('start', '--wait', '--timeout', '60s');

  log(`  API keys: orchestrator keys create × ${c.users}`);
  const apiKeys: string[] = new Array<string>(c.users);
  let nextUser = 0;
  const keyWorker = async () => {
    for (let u = nextUser++; u < c.users; u = nextUser++) {
      const out = await orchestrator('keys', 'create', '--user', `bench-user-${u}`, '--label', 'bench', '--json');
      apiKeys[u] = (JSON.parse(out.stdout) as { apiKey: string }).apiKey;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, c.users) }, keyWorker));

  const gatewayPort = await freePort();
  const gateway = await startApp({
    name: 'gateway',
    script: dist(c.root, 'gateway'),
    env: {
      ...common,
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
      INSTRUMENTS_POLL_MS: '1000',
      // One client holding every user's key: the per-key limit (100/s by default) is policy, not capacity.
      RATE_LIMIT_MAX: '10000000',
      LOG_LEVEL: 'warn',
    },
    readyUrl: `http://127.0.0.1:${gatewayPort}/ready`,
    logFile: path.join(c.workDir, 'gateway.log'),
    nodeArgs: nodeArgs('gateway'),
    cwd: c.root,
  });
  apps.push(gateway);
  processes['gateway'] = gateway.pid;
  if (c.infraPids.kafka !== undefined) processes['kafka'] = c.infraPids.kafka;
  if (c.infraPids.mariadb !== undefined) processes['mariadb'] = c.infraPids.mariadb;

  const pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
  cleanup.defer('close the bench’s MySQL pool', () => pool.end());
  return {
    database,
    apps,
    target: {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      apiKeys,
      instruments: c.instruments,
      kafka: c.kafka,
      inputTopics: map.shards.map((s) => s.kafkaInputTopic),
      outputTopics: map.shards.map((s) => s.kafkaOutputTopic),
      shards,
      mysql: pool,
      processes,
      consumerGroup: benchGroup,
      fromBeginning: true,
    },
  };
}
