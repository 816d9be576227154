import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, createInstrumentRegistry } from '@shardex/db';
import {
  createTestDatabase,
  createTestKafka,
  deleteTopics,
  createTestTopics,
  getTestInfra,
  type TestDatabase,
  type TestTopics,
} from '@shardex/testing';
import { run } from './cli';
import { captureIo } from './testing/capture-io';

/**
 * The lifecycle commands as an operator runs them, against two real shard processes on real Kafka and MariaDB:
 * what the report says must be what the shards did.
 */

// apps never import apps: the shards run as their own processes, from their sources.
const SHARD_MAIN = path.join(__dirname, '..', '..', 'matching-engine', 'src', 'main.ts');
const SHARDS = ['shard-1', 'shard-2'] as const;
const spec = (symbol: string) => ({
  symbol,
  base: symbol.split('-')[0],
  quote: 'USDT',
  priceScale: 2,
  quantityScale: 4,
  tickSize: '0.01',
  lotSize: '0.0001',
  minQty: '0.0001',
  maxQty: '100',
});

let topics: TestTopics;
let tdb: TestDatabase;
let dir: string;
let shardMap: object;
const procs = new Map<string, { child: ChildProcess; out: string }>();

function startShard(shardId: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', SHARD_MAIN], {
    env: {
      ...process.env,
      ...env,
      SHARD_ID: shardId,
      HTTP_PORT: '0',
      CONSUMER_GROUP_PREFIX: `orch-${topics.name('s1-input')}`,
      NODE_ID: `${shardId}-test`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = { child, out: '' };
  procs.set(shardId, p);
  child.stdout?.on('data', (c: Buffer) => (p.out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (p.out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (p.out.includes('shard active')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`${shardId} exited:\n${p.out.slice(-2000)}`));
      }
    }, 50);
  });
}

async function stopShard(shardId: string): Promise<void> {
  const p = procs.get(shardId);
  if (!p || p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
  clearTimeout(timer); // else jest waits for it after the last test
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

async function cli(...argv: string[]) {
  const io = captureIo();
  const env = { KAFKA_BROKERS: getTestInfra().kafkaBrokers.join(','), MYSQL_URL: tdb.url };
  const map = argv.includes('--shard-map') ? [] : ['--shard-map', path.join(dir, 'shards.json')];
  const code = await run([...argv, ...map], io, { env });
  return { code, out: io.outText, err: io.errText };
}

async function preloadEnds(): Promise<number> {
  const admin = createTestKafka('orch-spec').admin();
  await admin.connect();
  try {
    let n = 0;
    for (const s of ['s1-preload', 's2-preload'])
      for (const p of await admin.fetchTopicOffsets(topics.name(s))) n += Number(p.high);
    return n;
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  const infra = getTestInfra();
  topics = await createTestTopics(
    [
      ...SHARDS.flatMap((_, i) => [`s${i + 1}-input`, `s${i + 1}-preload`, `s${i + 1}-output`, `s${i + 1}-dlq`]),
      { name: 'wide', partitions: 3 },
    ],
    infra,
  );
  tdb = await createTestDatabase('orchlife', infra);
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-'));
  shardMap = {
    // Every symbol pinned, so the test knows which shard gets which.
    explicitOnly: true,
    shards: SHARDS.map((shardId, i) => ({
      shardId,
      kafkaInputTopic: topics.name(`s${i + 1}-input`),
      kafkaPreloadTopic: topics.name(`s${i + 1}-preload`),
      kafkaOutputTopic: topics.name(`s${i + 1}-output`),
      kafkaDlqTopic: topics.name(`s${i + 1}-dlq`),
      symbols: i === 0 ? ['BTC-USDT', 'ETH-USDT'] : ['SOL-USDT'],
    })),
  };
  writeFileSync(path.join(dir, 'shards.json'), JSON.stringify(shardMap));
  writeFileSync(path.join(dir, 'good.json'), JSON.stringify([spec('BTC-USDT'), spec('ETH-USDT'), spec('SOL-USDT')]));
  writeFileSync(
    path.join(dir, 'bad.json'),
    JSON.stringify([{ ...spec('BTC-USDT'), base: 'b-t-c' }, spec('DOGE-USDT')]),
  );
  const env = { KAFKA_BROKERS: infra.kafkaBrokers.join(','), MYSQL_URL: tdb.url, SHARD_MAP: JSON.stringify(shardMap) };
  await Promise.all(SHARDS.map((s) => startShard(s, env)));
}, 180_000);

afterAll(async () => {
  await Promise.all(SHARDS.map((s) => stopShard(s)));
  rmSync(dir, { recursive: true, force: true });
  await topics?.drop();
  await tdb?.drop();
}, 60_000);

describe('orchestrator topics create (real Kafka)', () => {
  it('creates every topic of a shard map once, then finds them; an input topic with 3 partitions is an error', async () => {
    // Named after a test topic, so a run that dies here still has its leftovers swept with the run's.
    const base = topics.name('s1-input');
    const shards = ['tc-1', 'tc-2'].map((shardId) => ({
      shardId,
      kafkaInputTopic: `${base}-${shardId}-input`,
      kafkaPreloadTopic: `${base}-${shardId}-preload`,
      kafkaOutputTopic: `${base}-${shardId}-output`,
      kafkaDlqTopic: `${base}-${shardId}-dlq`,
    }));
    const names = shards.flatMap((s) => [s.kafkaInputTopic, s.kafkaPreloadTopic, s.kafkaOutputTopic, s.kafkaDlqTopic]);
    writeFileSync(path.join(dir, 'tc.json'), JSON.stringify({ shards }));
    writeFileSync(
      path.join(dir, 'wide.json'),
      JSON.stringify({
        shards: [{ shardId: 'w', kafkaInputTopic: topics.name('wide'), kafkaPreloadTopic: `${base}-w-preload` }],
      }),
    );
    try {
      const first = await cli(
        'topics',
        'create',
        '--shard-map',
        path.join(dir, 'tc.json'),
        '--partitions',
        '2',
        '--json',
      );
      expect(first.code).toBe(0);
      expect(JSON.parse(first.out)).toEqual({ created: names, existing: [] });
      const again = await cli(
        'topics',
        'create',
        '--shard-map',
        path.join(dir, 'tc.json'),
        '--partitions',
        '2',
        '--json',
      );
      expect(JSON.parse(again.out)).toEqual({ created: [], existing: names });
      const wide = await cli('topics', 'create', '--shard-map', path.join(dir, 'wide.json'));
      expect(wide.code).toBe(1);
      expect(wide.err).toMatch(/has 3 partitions, exactly 1 required/);
      // Checked before anything is created: a map that does not fit leaves no topic behind.
      const admin = createTestKafka('orch-spec').admin();
      await admin.connect();
      const listed = await admin.listTopics().finally(() => admin.disconnect());
      expect(listed.filter((t) => t.startsWith(`${base}-w-`))).toEqual([]);
    } finally {
      await deleteTopics([...names, `${base}-w-preload`, `${base}-w-output`, `${base}-w-dlq`]);
    }
  });
});

describe('orchestrator lifecycle (real Kafka + MySQL, two shard processes)', () => {
  it('refuses an invalid instruments file before sending anything (exit 2)', async () => {
    const before = await preloadEnds();
    const r = await cli('init', '--instruments', path.join(dir, 'bad.json'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BTC-USDT: .*base/);
    expect(r.err).toMatch(/DOGE-USDT: /); // not listed by any shard in explicit-only mode
    expect(await preloadEnds()).toBe(before);
  });

  it('init → start --wait brings both shards to RUNNING with their own instruments; stop --wait to STOPPED', async () => {
    const init = await cli(
      'init',
      '--instruments',
      path.join(dir, 'good.json'),
      '--wait',
      '--timeout',
      '60s',
      '--json',
    );
    expect(init.code).toBe(0);
    expect(JSON.parse(init.out).shards).toEqual([
      { shardId: 'shard-1', result: 'ok', state: 'INITIALIZED', symbols: ['BTC-USDT', 'ETH-USDT'] },
      { shardId: 'shard-2', result: 'ok', state: 'INITIALIZED', symbols: ['SOL-USDT'] },
    ]);
    // The gateways' registry holds the same set, each instrument with its shard.
    const db = createDb({ url: tdb.url });
    try {
      const set = await createInstrumentRegistry(db).load();
      expect(set?.instruments.map((i) => `${i.instrument.symbol}@${i.shardId}`)).toEqual([
        'BTC-USDT@shard-1',
        'ETH-USDT@shard-1',
        'SOL-USDT@shard-2',
      ]);
    } finally {
      await db.destroy();
    }

    const start = await cli('start', '--wait', '--timeout', '60s');
    expect(start.code).toBe(0);
    expect(start.out).toMatch(/shard-1\s+ok\s+RUNNING/);
    expect(start.out).toMatch(/shard-2\s+ok\s+RUNNING/);

    const status = await cli('status', '--json', '--group-prefix', `orch-${topics.name('s1-input')}`);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.out) as { shards: Array<Record<string, unknown>> };
    expect(shown.shards).toEqual([
      expect.objectContaining({ shardId: 'shard-1', state: 'RUNNING', symbols: ['BTC-USDT', 'ETH-USDT'], ready: true }),
      expect.objectContaining({ shardId: 'shard-2', state: 'RUNNING', symbols: ['SOL-USDT'], ready: true }),
    ]);
    for (const s of shown.shards) {
      expect(s['lastSeq']).toBeGreaterThanOrEqual(2); // INITIALIZED, RUNNING
      expect(s['inputLag']).toBe(0);
      expect(s['writer']).toMatchObject({ owner: `${String(s['shardId'])}-test`, live: true });
    }

    // Initialising a running shard is refused by the shard, and the report says so.
    const again = await cli('init', '--instruments', path.join(dir, 'good.json'), '--wait', '--timeout', '60s');
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/shard-1\s+failed.*rejected INVALID_STATE/);

    const stop = await cli('stop', '--wait', '--timeout', '60s');
    expect(stop.code).toBe(0);
    expect(stop.out).toMatch(/shard-1\s+ok\s+STOPPED/);
    expect(stop.out).toMatch(/shard-2\s+ok\s+STOPPED/);
  });

  it('reports a shard whose preload topic is missing as failed while the others are started (exit 1)', async () => {
    const withGhost = {
      ...shardMap,
      explicitOnly: false,
      shards: [
        ...(shardMap as { shards: object[] }).shards,
        // Its topics were never created: named after the run's, so nothing is created by accident either.
        { shardId: 'shard-3', kafkaInputTopic: `${topics.name('s1-input')}-ghost-input` },
      ],
    };
    writeFileSync(path.join(dir, 'ghost.json'), JSON.stringify(withGhost));
    const r = await cli('start', '--wait', '--timeout', '60s', '--json', '--shard-map', path.join(dir, 'ghost.json'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).shards).toEqual([
      expect.objectContaining({ shardId: 'shard-1', result: 'ok', state: 'RUNNING' }),
      expect.objectContaining({ shardId: 'shard-2', result: 'ok', state: 'RUNNING' }),
      expect.objectContaining({
        shardId: 'shard-3',
        result: 'failed',
        detail: expect.stringMatching(/not sent: .*does not exist/),
      }),
    ]);
  });

  it('names the shard that is not running when start --wait times out (exit 1)', async () => {
    await stopShard('shard-2');
    const r = await cli('start', '--wait', '--timeout', '5s');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/shard-1\s+ok\s+RUNNING/);
    expect(r.out).toMatch(/shard-2\s+timeout/);
    expect(r.err).toMatch(/shard-2 timeout/);
    // A shard that shut down released its lease; one that had to be killed (a slow shutdown on a loaded machine)
    // holds it until its time to live (10 s) runs out: until then status still counts it as a live writer.
    let status = await cli('status', '--group-prefix', `orch-${topics.name('s1-input')}`);
    for (const deadline = Date.now() + 20_000; status.code === 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 500));
      status = await cli('status', '--group-prefix', `orch-${topics.name('s1-input')}`);
    }
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/shard-1\s+RUNNING.*yes/);
    expect(status.err).toMatch(/not ready: shard-2/);
  });
});
