import { parseOptions } from './options';

describe('bench options', () => {
  it('has defaults for a full run and reads BENCH_SECONDS, BENCH_WARMUP and BENCH_RATE', () => {
    const o = parseOptions([], {});
    expect(o).toMatchObject({
      seconds: 20,
      warmupSeconds: 3,
      rate: undefined,
      users: 32,
      batchSize: 20,
      cpuProf: false,
    });
    expect(o.phases).toHaveLength(4);
    expect(parseOptions([], { BENCH_SECONDS: '5', BENCH_WARMUP: '0', BENCH_RATE: '5000' })).toMatchObject({
      seconds: 5,
      warmupSeconds: 0,
      rate: 5_000,
    });
    expect(parseOptions(['--seconds', '7'], { BENCH_SECONDS: '5' }).seconds).toBe(7);
  });

  it('refuses bad numbers and unknown flags', () => {
    expect(() => parseOptions(['--seconds', '0'])).toThrow(/--seconds/);
    expect(() => parseOptions(['--batch-size', '21'])).toThrow(/--batch-size must be an integer 1-20/);
    expect(() => parseOptions(['--users', '1.5'])).toThrow(/--users/);
    expect(() => parseOptions(['--nope'])).toThrow();
  });

  it('drives a running stack with its defaults, skipping the phases that change the topology', () => {
    const o = parseOptions(['--target', 'http://127.0.0.1:8080/', '--api-keys', 'a,b']);
    expect(o.target).toEqual({
      url: 'http://127.0.0.1:8080',
      apiKeys: ['a', 'b'],
      mysqlUrl: 'mysql://shardex:shardex@127.0.0.1:23306/shardex',
      kafkaBrokers: ['127.0.0.1:29092'],
      shardMapFile: 'k8s/base/config/shard-map.json',
      shardMetrics: ['http://127.0.0.1:9464/metrics', 'http://127.0.0.1:9465/metrics'],
    });
    expect(o.phases.map((p) => p.id)).toEqual(['2-shards', '2-shards-batch']);
    expect(() => parseOptions(['--target', 'http://x:1', '--phases', 'sync'])).toThrow(/running stack/);
    expect(() => parseOptions(['--target', 'http://x:1', '--cpu-prof'])).toThrow(/--cpu-prof/);
    expect(() => parseOptions(['--target', 'x:1'])).toThrow(/base URL/);
    expect(() => parseOptions(['--api-keys', 'a'])).toThrow(/needs --target/);
  });
});
