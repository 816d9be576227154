import path from 'node:path';
import { DEFAULT_KAFKA_CLIENT } from '@shardex/kafka';
import { ConfigError, loadConfig } from './config';

const required = { KAFKA_BROKERS: 'k1:9092,k2:9092', MYSQL_URL: 'mysql://u:p@db:3306/shardex', SHARD_COUNT: '2' };

describe('gateway config', () => {
  it('has defaults and is frozen', () => {
    const config = loadConfig(required);
    expect(config.kafkaClient).toBe(DEFAULT_KAFKA_CLIENT);
    expect(loadConfig({ ...required, KAFKA_CLIENT: 'kafkajs' }).kafkaClient).toBe('kafkajs');
    expect(() => loadConfig({ ...required, KAFKA_CLIENT: 'rdkafka' })).toThrow(/KAFKA_CLIENT must be one of/);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      rateLimitMax: 100,
      resultTimeoutMs: 2_000,
      clientOrderRetentionMs: 7 * 24 * 3600_000,
    });
    expect(config.shardMap.shards.map((s) => s.shardId)).toEqual(['shard-1', 'shard-2']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads the shards' group prefix as they do, and finds the console beside its own bundle", () => {
    expect(loadConfig(required)).toMatchObject({
      shardGroupPrefix: 'shardex-engine',
      consoleDir: path.join(__dirname, '..', 'console'),
    });
    expect(loadConfig({ ...required, CONSUMER_GROUP_PREFIX: 'e2e-x', CONSOLE_DIR: '/srv/console' })).toMatchObject({
      shardGroupPrefix: 'e2e-x',
      consoleDir: '/srv/console',
    });
  });

  it('reads the shard map from SHARD_MAP_FILE like the shards do', () => {
    const file = JSON.stringify({ shards: [{ shardId: 'a', symbols: ['BTC-USDT'] }] });
    const config = loadConfig({ ...required, SHARD_COUNT: undefined, SHARD_MAP_FILE: '/x.json' }, () => file);
    expect(config.shardMap.route('BTC-USDT').shardId).toBe('a');
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '80a'],
    ['LOG_LEVEL', 'loud'],
    ['KAFKA_BROKERS', ''],
    ['KAFKA_BROKERS', 'nohost'],
    ['MYSQL_URL', 'postgres://x/y'],
    ['SHARD_COUNT', 'many'],
    ['RATE_LIMIT_MAX', '0'],
    ['RESULT_TIMEOUT_MS', '60000'],
    ['CLIENT_ORDER_RETENTION_MS', '3600000'],
    ['BODY_LIMIT_BYTES', '-1'],
    ['CONSUMER_GROUP_PREFIX', 'has space'],
  ])('refuses %s=%s with a coded error naming it', (name, value) => {
    let err: unknown;
    try {
      loadConfig({ ...required, [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('GATEWAY_ERR_CONFIG');
    expect((err as Error).message).toContain(name === 'SHARD_COUNT' ? 'shard map' : name);
  });
});
