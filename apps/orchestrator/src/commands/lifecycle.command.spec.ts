import { decodeCommand, type Command, type InstrumentSpec } from '@shardex/contracts';
import type { OutgoingRecord } from '@shardex/order-router';
import { type CliDeps, run } from '../cli';
import type { LifecycleSession } from '../lifecycle/lifecycle.port';
import type { OutcomeSource, ShardOutcome } from '../lifecycle/outcomes';
import { captureIo } from '../testing/capture-io';
import { parseDuration } from './lifecycle.command';

const ENV = { KAFKA_BROKERS: 'k:9092', SHARD_COUNT: '2', MYSQL_URL: 'mysql://ops:pw@db:3306/shardex' };
const spec = (symbol: string, extra: Partial<InstrumentSpec> = {}): InstrumentSpec => ({
  symbol,
  base: symbol.split('-')[0] as string,
  quote: 'USDT',
  priceScale: 2,
  quantityScale: 4,
  tickSize: '0.01',
  lotSize: '0.0001',
  minQty: '0.0001',
  maxQty: '100',
  ...extra,
});

/**
 * The CLI on fakes of its session: a producer that records what it sends (and fails the topics it is told to), and
 * shards that answer each command the way the test scripts them.
 */
function setup({
  env = ENV as Record<string, string>,
  failTopics = [] as string[],
  answer = (_shardId: string, _command: Command): ShardOutcome | undefined => undefined,
  files = {} as Record<string, string>,
} = {}) {
  const sent: Array<{ topic: string; command: Command }> = [];
  const published: unknown[] = [];
  const outcomes = new Map<string, ShardOutcome>();
  let closed = 0;
  const source: OutcomeSource = {
    start: async () => undefined,
    outcome: (shardId, commandId) => outcomes.get(`${shardId}/${commandId}`) ?? { status: 'pending' },
    async waitFor(expected, deadline) {
      while (Date.now() < deadline && [...expected].some(([s, c]) => !outcomes.has(`${s}/${c}`)))
        await new Promise((r) => setTimeout(r, 5));
    },
    stop: async () => undefined,
  };
  const deps: CliDeps = {
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return text;
    },
    openLifecycle: async (_fleet, { wait }) => {
      const session: LifecycleSession = {
        producer: {
          async send(record: OutgoingRecord) {
            if (failTopics.includes(record.topic)) throw new Error(`topic ${record.topic} does not exist`);
            const decoded = decodeCommand(record);
            if (!decoded.ok) throw new Error(decoded.message);
            sent.push({ topic: record.topic, command: decoded.value });
            const shardId = record.topic.replace(/-preload$/, '');
            const outcome = answer(shardId, decoded.value);
            if (outcome) outcomes.set(`${shardId}/${decoded.value.commandId}`, outcome);
          },
        },
        ...(wait ? { outcomes: source } : {}),
        publishInstruments: async (assignments) => {
          published.push(assignments);
          return { version: 7 };
        },
        close: async () => void closed++,
      };
      return session;
    },
  };
  const cli = async (...argv: string[]) => {
    const io = captureIo();
    const code = await run(argv, io, deps);
    return { code, out: io.outText, err: io.errText };
  };
  return { cli, sent, published, closedCount: () => closed };
}

const running = (): ShardOutcome => ({ status: 'applied', state: 'RUNNING', symbols: ['BTC-USDT'] });

describe('start / stop', () => {
  it('broadcasts START_ENGINE to every shard’s preload topic and reports each shard; exit 0', async () => {
    const { cli, sent, closedCount } = setup({ answer: () => running() });
    const r = await cli('start', '--wait', '--timeout', '2s', '--reason', 'open');
    expect(r.code).toBe(0);
    expect(sent.map((s) => [s.topic, s.command.code])).toEqual([
      ['shard-1-preload', 'START_ENGINE'],
      ['shard-2-preload', 'START_ENGINE'],
    ]);
    expect(sent[0]?.command.payload).toEqual({ reason: 'open' });
    expect(r.out).toMatch(/^SHARD\s+RESULT\s+STATE/);
    expect(r.out).toMatch(/shard-1\s+ok\s+RUNNING\s+1/);
    expect(r.out).toMatch(/shard-2\s+ok\s+RUNNING/);
    expect(r.err).toMatch(/2\/2 shards answered/);
    expect(closedCount()).toBe(1);
  });

  it('reports what the shard did, not what Kafka took: a rejection is a failure (exit 1)', async () => {
    const { cli } = setup({
      answer: (shardId) =>
        shardId === 'shard-2'
          ? { status: 'rejected', reason: 'INVALID_STATE', message: 'START_ENGINE before INITIALIZE_ENGINE' }
          : running(),
    });
    const r = await cli('start', '--wait', '--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/shard-2\s+failed\s+-\s+-\s+rejected INVALID_STATE: START_ENGINE before INITIALIZE_ENGINE/);
    expect(r.err).toMatch(/ORCH_ERR_SHARDS_FAILED|1 of 2 shard\(s\) did not complete: shard-2 failed/);
  });

  it('reports a shard whose preload topic is missing as failed while the other is started', async () => {
    const { cli } = setup({ failTopics: ['shard-1-preload'], answer: () => running() });
    const r = await cli('start', '--wait', '--timeout', '2s', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({
      shards: [
        { shardId: 'shard-1', result: 'failed', detail: expect.stringMatching(/not sent: .*does not exist/) },
        { shardId: 'shard-2', result: 'ok', state: 'RUNNING', symbols: ['BTC-USDT'] },
      ],
    });
  });

  it('names the shard that did not answer in time (exit 1)', async () => {
    const { cli } = setup({ answer: (shardId) => (shardId === 'shard-1' ? running() : undefined) });
    const r = await cli('stop', '--wait', '--timeout', '300ms');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/shard-1\s+failed\s+RUNNING.*not STOPPED/);
    expect(r.out).toMatch(/shard-2\s+timeout/);
  });

  it('without --wait says the command was written, not applied', async () => {
    const { cli } = setup();
    const r = await cli('stop');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/shard-1\s+sent.*not waited for/);
  });

  it('works unchanged with sharding disabled (the legacy engine)', async () => {
    const { cli, sent } = setup({ env: { KAFKA_BROKERS: 'k:9092', SHARDING_ENABLED: 'false' } });
    expect((await cli('start')).code).toBe(0);
    expect(sent.map((s) => s.topic)).toEqual(['matching_engine_preload']);
  });

  it.each([
    [['start'], { SHARD_COUNT: '2' }, /Kafka brokers/],
    [['start'], { KAFKA_BROKERS: 'k:9092' }, /shard map/],
    [['start', '--timeout', 'soon'], ENV, /--timeout must be/],
  ])('exits 2 on a usage error: %j', async (argv, env, message) => {
    const { cli, sent } = setup({ env: env as Record<string, string> });
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(sent).toHaveLength(0);
  });
});

describe('init', () => {
  const good = JSON.stringify([spec('BTC-USDT'), spec('ETH-USDT'), spec('SOL-USDT'), spec('XRP-USDT')]);

  it('stores the set, then gives each shard exactly the instruments the shard map gives it', async () => {
    const { cli, sent, published } = setup({
      files: { '/i.json': good },
      answer: (_s, c) => ({
        status: 'applied',
        state: 'INITIALIZED',
        symbols: c.code === 'INITIALIZE_ENGINE' ? c.payload.instruments.map((i) => i.symbol) : [],
      }),
    });
    const r = await cli('init', '--instruments', '/i.json', '--wait', '--timeout', '2s');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/instrument set v7 stored/);
    expect(published).toHaveLength(1);
    const given = sent.flatMap((s) =>
      s.command.code === 'INITIALIZE_ENGINE' ? s.command.payload.instruments.map((i) => `${s.topic}:${i.symbol}`) : [],
    );
    expect(given.map((g) => g.split(':')[1]).sort()).toEqual(['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);
    const assignments = published[0] as Array<{ spec: InstrumentSpec; shardId: string }>;
    for (const a of assignments) expect(given).toContain(`${a.shardId}-preload:${a.spec.symbol}`);
  });

  it('refuses an invalid file with every problem and its instrument, sending nothing (exit 2)', async () => {
    const bad = JSON.stringify([
      spec('BTC-USDT', { base: 'btc!' }),
      spec('ETH-USDT', { tickSize: '0.001' }),
      spec('BTC-USDT'),
      spec('SOL-USDT'),
      spec('SOL-USDT'),
    ]);
    const { cli, sent, published } = setup({ files: { '/bad.json': bad } });
    const r = await cli('init', '--instruments', '/bad.json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BTC-USDT: .*base/);
    expect(r.err).toMatch(/ETH-USDT: /);
    expect(r.err).toMatch(/SOL-USDT: listed more than once/);
    expect(r.err).toMatch(/nothing was sent/);
    expect(sent).toHaveLength(0);
    expect(published).toHaveLength(0);
  });

  it('leaves the registry alone when a shard refused the set', async () => {
    const { cli, published } = setup({
      files: { '/i.json': good },
      answer: (shardId) =>
        shardId === 'shard-1'
          ? { status: 'rejected', reason: 'INVALID_STATE', message: 'INITIALIZE_ENGINE while RUNNING' }
          : { status: 'applied', state: 'INITIALIZED', symbols: [] },
    });
    const r = await cli('init', '--instruments', '/i.json', '--wait', '--timeout', '2s');
    expect(r.code).toBe(1);
    expect(published).toHaveLength(0);
    expect(r.err).toMatch(/registry was not updated/);
  });

  it('reads YAML, and refuses an unreadable or empty file', async () => {
    const { cli } = setup({
      files: {
        '/i.yaml':
          'instruments:\n  - symbol: BTC-USDT\n    base: BTC\n    quote: USDT\n    priceScale: 2\n    quantityScale: 4\n    tickSize: "0.01"\n    lotSize: "0.0001"\n    minQty: "0.0001"\n    maxQty: "100"\n',
        '/e.json': '[]',
      },
    });
    expect((await cli('init', '--instruments', '/i.yaml')).code).toBe(0);
    expect((await cli('init', '--instruments', '/e.json')).code).toBe(2);
    expect((await cli('init', '--instruments', '/missing.json')).err).toMatch(/cannot read/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['60s', 60_000],
    ['2m', 120_000],
    ['1500ms', 1_500],
    ['5', 5_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
