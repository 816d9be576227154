import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Command } from '@shardex/contracts';
import { decodeCommand, HEADER_CODE } from '@shardex/contracts';
import { placeOrder } from '@shardex/contracts/testing';
import { ROUTER_ERROR_CODES } from './errors';
import { murmur3 } from './hash';
import { OrderRouter } from './order-router';
import { createShardMap, parseShardMap, type ShardMapConfig, shardMapFromEnv } from './shard-map';
import { FakeProducer } from './testing';

const shards = (n: number) => Array.from({ length: n }, (_, i) => ({ shardId: `shard-${i + 1}` }));
const symbols = Array.from({ length: 10_000 }, (_, i) => `SYM${i}-USD`);
const start: Command = { commandId: 'start-1', code: 'START_ENGINE', issuedAt: 0, payload: {} };

describe('hash', () => {
  it('is MurmurHash3 x86 32-bit (published test vectors)', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello', 0)).toBe(613153351);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });
});

describe('shard map', () => {
  it('derives topic names from the shard id, preload from the input topic', () => {
    const map = createShardMap({
      shards: [{ shardId: 'shard-1' }, { shardId: 'eu', kafkaInputTopic: 'orders.eu.in' }],
    });
    expect(map.shard('shard-1')).toMatchObject({
      kafkaInputTopic: 'shard-1-input',
      kafkaPreloadTopic: 'shard-1-preload',
      kafkaOutputTopic: 'shard-1-output',
      kafkaDlqTopic: 'shard-1-dlq',
    });
    expect(map.shard('eu').kafkaPreloadTopic).toBe('orders.eu.in-preload');
  });

  it('routes listed symbols to their shard and the rest by hash, the same in every process', () => {
    const config: ShardMapConfig = { shards: [{ shardId: 'shard-1', symbols: ['BTC-USDT'] }, ...shards(4).slice(1)] };
    const map = createShardMap(config);
    expect(map.route('BTC-USDT').shardId).toBe('shard-1');
    // Golden assignments: a change to the hash would silently move live symbols between shards.
    expect(['ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'DOGE-USDT'].map((s) => map.route(s).shardId)).toEqual(GOLDEN);
    const script = `const { createShardMap } = require(${JSON.stringify(path.join(__dirname, 'index.ts'))});
      const map = createShardMap(${JSON.stringify(config)});
      process.stdout.write(JSON.stringify(${JSON.stringify(symbols.slice(0, 500))}.map((s) => map.route(s).shardId)));`;
    const elsewhere = execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(elsewhere)).toEqual(symbols.slice(0, 500).map((s) => map.route(s).shardId));
  });

  it('spreads symbols evenly and moves only ~1/(n+1) of them, all to the new shard, when a shard is added', () => {
    const four = createShardMap({ shards: shards(4) });
    const five = createShardMap({ shards: shards(5) });
    const counts = new Map<string, number>();
    let moved = 0;
    for (const s of symbols) {
      const before = four.route(s).shardId;
      const after = five.route(s).shardId;
      counts.set(before, (counts.get(before) ?? 0) + 1);
      if (before !== after) {
        moved++;
        expect(after).toBe('shard-5');
      }
    }
    const fraction = moved / symbols.length;
    expect(fraction).toBeGreaterThan(0.15);
    expect(fraction).toBeLessThan(0.25); // ideal 0.2; modulo hashing would move ~0.8
    for (const n of counts.values()) expect(Math.abs(n - 2500)).toBeLessThan(250);
  });

  it.each<[string, ShardMapConfig, string]>([
    ['no shards', { shards: [] }, 'ROUTER_ERR_NO_SHARDS'],
    ['a duplicate shard id', { shards: [{ shardId: 'a' }, { shardId: 'a' }] }, 'ROUTER_ERR_DUPLICATE_SHARD'],
    [
      'a symbol owned twice',
      {
        shards: [
          { shardId: 'a', symbols: ['X'] },
          { shardId: 'b', symbols: ['X'] },
        ],
      },
      'ROUTER_ERR_SYMBOL_OWNED_TWICE',
    ],
    [
      'two shards on one topic',
      { shards: [{ shardId: 'a' }, { shardId: 'b', kafkaInputTopic: 'a-input' }] },
      'ROUTER_ERR_TOPIC_CLASH',
    ],
    [
      'one shard using a topic twice',
      { shards: [{ shardId: 'a', kafkaOutputTopic: 'a-input' }] },
      'ROUTER_ERR_TOPIC_CLASH',
    ],
    ['a bad shard id', { shards: [{ shardId: 'Shard 1' }] }, 'ROUTER_ERR_INVALID_CONFIG'],
    ['a bad topic name', { shards: [{ shardId: 'a', kafkaInputTopic: 'in put' }] }, 'ROUTER_ERR_INVALID_CONFIG'],
    ['a bad symbol', { shards: [{ shardId: 'a', symbols: ['btc'] }] }, 'ROUTER_ERR_INVALID_CONFIG'],
  ])('refuses %s with a coded error naming it', (_why, config, code) => {
    expect(() => createShardMap(config)).toThrow(expect.objectContaining({ code }));
  });

  it('names the problem in the message', () => {
    expect(() =>
      createShardMap({
        shards: [
          { shardId: 'a', symbols: ['ETH-USD'] },
          { shardId: 'b', symbols: ['ETH-USD'] },
        ],
      }),
    ).toThrow('symbol "ETH-USD" is listed under "a" and "b"');
  });

  it('refuses unlisted symbols in explicit-only mode', () => {
    const map = createShardMap({ explicitOnly: true, shards: [{ shardId: 'a', symbols: ['X'] }] });
    expect(map.route('X').shardId).toBe('a');
    expect(() => map.route('Y')).toThrow(expect.objectContaining({ code: 'ROUTER_ERR_UNKNOWN_SYMBOL' }));
  });

  it('loads from YAML, JSON and env', () => {
    const yaml = parseShardMap(
      'shards:\n  - shardId: shard-1\n    symbols: [BTC-USDT]\n  - shardId: shard-2\n',
      'yaml',
    );
    expect(yaml.shards.map((s) => s.shardId)).toEqual(['shard-1', 'shard-2']);
    expect(parseShardMap('{"shards":[{"shardId":"x"}]}', 'json').shards[0]?.kafkaInputTopic).toBe('x-input');
    expect(() => parseShardMap('{nope', 'json')).toThrow(
      expect.objectContaining({ code: 'ROUTER_ERR_INVALID_CONFIG' }),
    );
    expect(shardMapFromEnv({ SHARD_COUNT: '3' }).shards.map((s) => s.shardId)).toEqual([
      'shard-1',
      'shard-2',
      'shard-3',
    ]);
    expect(shardMapFromEnv({ SHARDING_ENABLED: 'false' }).shardingEnabled).toBe(false);
    expect(() => shardMapFromEnv({})).toThrow(expect.objectContaining({ code: 'ROUTER_ERR_INVALID_CONFIG' }));
    // SHARD_MAP_FILE wins over the variables, read through the caller's reader, YAML by its extension.
    const files: Record<string, string> = {
      '/m.yaml': 'shards:\n  - shardId: a\n',
      '/m.json': '{"shards":[{"shardId":"b"}]}',
    };
    const read = (path: string) => files[path] ?? '';
    expect(shardMapFromEnv({ SHARD_MAP_FILE: '/m.yaml', SHARD_COUNT: '3' }, read).shards.map((s) => s.shardId)).toEqual(
      ['a'],
    );
    expect(shardMapFromEnv({ SHARD_MAP_FILE: '/m.json' }, read).shards.map((s) => s.shardId)).toEqual(['b']);
  });

  it('documents every error code', () => {
    for (const doc of Object.values(ROUTER_ERROR_CODES)) expect(doc.length).toBeGreaterThan(15);
  });
});

describe('order router', () => {
  it('sends an order to its shard’s input topic, keyed by symbol, decodable on the other side', async () => {
    const producer = new FakeProducer();
    const router = new OrderRouter({ shardMap: createShardMap({ shards: shards(4) }), producer });
    const cmd = placeOrder({ orderId: 'o1', symbol: 'ETH-USDT', price: '10', quantity: '1' });
    const result = await router.sendToShard(cmd);
    const shard = router.route('ETH-USDT');
    expect(result).toEqual({ shardId: shard.shardId, topic: shard.kafkaInputTopic, success: true });
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0]).toMatchObject({
      topic: shard.kafkaInputTopic,
      key: 'ETH-USDT',
      headers: { [HEADER_CODE]: 'PLACE_ORDER' },
    });
    expect(decodeCommand(producer.sent[0] as never)).toEqual({ ok: true, value: cmd });
  });

  it('rejects a failed send with ROUTER_ERR_SEND', async () => {
    const map = createShardMap({ shards: shards(2) });
    const router = new OrderRouter({
      shardMap: map,
      producer: new FakeProducer(new Set(map.shards.map((s) => s.kafkaInputTopic))),
    });
    await expect(router.sendToShard(placeOrder({ orderId: 'o', symbol: 'X', price: '1' }))).rejects.toMatchObject({
      code: 'ROUTER_ERR_SEND',
      retriable: true,
    });
  });

  it('broadcasts to every preload topic in parallel; one failing shard does not stop the others', async () => {
    const producer = new FakeProducer(new Set(['shard-2-preload']));
    const warnings: object[] = [];
    const router = new OrderRouter({
      shardMap: createShardMap({ shards: shards(3) }),
      producer,
      logger: { warn: (o) => warnings.push(o) },
    });
    const results = await router.broadcastToAllShards(start);
    expect(results).toEqual([
      { shardId: 'shard-1', topic: 'shard-1-preload', success: true },
      { shardId: 'shard-2', topic: 'shard-2-preload', success: false, error: expect.stringContaining('does not host') },
      { shardId: 'shard-3', topic: 'shard-3-preload', success: true },
    ]);
    expect(producer.sent.map((r) => r.topic)).toEqual(['shard-1-preload', 'shard-3-preload']);
    expect(producer.sent.every((r) => r.key === 'lifecycle')).toBe(true);
    expect(warnings).toEqual([expect.objectContaining({ shardId: 'shard-2', commandId: 'start-1' })]);
  });

  it('broadcasts to input topics when asked', async () => {
    const producer = new FakeProducer();
    const router = new OrderRouter({ shardMap: createShardMap({ shards: shards(2) }), producer });
    await router.broadcastToAllShards(start, { usePreloadTopic: false });
    expect(producer.sent.map((r) => r.topic)).toEqual(['shard-1-input', 'shard-2-input']);
  });

  it('works unchanged with sharding disabled: one legacy engine and its topics', async () => {
    const producer = new FakeProducer();
    const router = new OrderRouter({ shardMap: createShardMap({ shardingEnabled: false }), producer });
    expect(router.isShardingEnabled()).toBe(false);
    expect(router.route('ANY').kafkaInputTopic).toBe('matching_engine_input');
    expect(await router.broadcastToAllShards(start)).toEqual([
      { shardId: 'legacy', topic: 'matching_engine_preload', success: true },
    ]);
    expect(router.getAllInputTopics()).toEqual(['matching_engine_input']);
    expect(router.getAllOutputTopics()).toEqual(['matching_engine_output']);
    expect(router.getPreloadTopicForShard('legacy')).toBe('matching_engine_preload');
  });

  it('lists topics per role and refuses unknown shards', () => {
    const router = new OrderRouter({ shardMap: createShardMap({ shards: shards(2) }), producer: new FakeProducer() });
    expect(router.getAllPreloadTopics()).toEqual(['shard-1-preload', 'shard-2-preload']);
    expect(router.getAllInputTopics()).toEqual(['shard-1-input', 'shard-2-input']);
    expect(router.getAllOutputTopics()).toEqual(['shard-1-output', 'shard-2-output']);
    expect(router.getPreloadTopicForShard('shard-2')).toBe('shard-2-preload');
    expect(() => router.getPreloadTopicForShard('shard-9')).toThrow(
      expect.objectContaining({ code: 'ROUTER_ERR_UNKNOWN_SHARD' }),
    );
  });
});

// Computed once from this implementation (murmur3 itself is pinned by the published vectors above).
const GOLDEN = ['shard-1', 'shard-2', 'shard-3', 'shard-4'];
