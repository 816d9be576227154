import { DEFAULT_KAFKA_CLIENT } from '@shardex/kafka';
import { ConfigError, loadConfig } from './config';

const base = {
  SHARD_ID: 'shard-2',
  KAFKA_BROKERS: '127.0.0.1:9092',
  MYSQL_URL: 'mysql://u:p@127.0.0.1:3306/shardex',
  SHARD_COUNT: '3',
};

describe('matching-engine config', () => {
  it('requires SHARD_ID, brokers and a database', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/SHARD_ID is required/);
    expect(() => loadConfig({ ...base, KAFKA_BROKERS: '' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadConfig({ ...base, MYSQL_URL: 'mysql://h/' })).toThrow(/MYSQL_URL/);
  });

  it('parses and freezes a valid config, taking the shard’s topics from the map', () => {
    const config = loadConfig({ ...base, HTTP_PORT: '9500', SNAPSHOT_EVERY_COMMANDS: '50' });
    expect(config).toMatchObject({
      shardId: 'shard-2',
      httpPort: 9500,
      httpHost: '127.0.0.1',
      snapshotEveryCommands: 50,
      depthEveryCommands: 100,
    });
    expect(config.shard).toMatchObject({
      kafkaInputTopic: 'shard-2-input',
      kafkaPreloadTopic: 'shard-2-preload',
      kafkaOutputTopic: 'shard-2-output',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads a YAML shard map file', () => {
    const yaml = 'shards:\n  - shardId: shard-2\n    kafkaInputTopic: eu-orders\n';
    const config = loadConfig(
      { ...base, SHARD_COUNT: undefined, SHARD_MAP_FILE: '/etc/shardex/shards.yaml' },
      () => yaml,
    );
    expect(config.shard.kafkaInputTopic).toBe('eu-orders');
  });

  it('writes rows in batches unless WRITE_BUFFER=sync asks for the per-row baseline', () => {
    expect(loadConfig(base).kafkaClient).toBe(DEFAULT_KAFKA_CLIENT);
    expect(loadConfig({ ...base, KAFKA_CLIENT: 'kafkajs' }).kafkaClient).toBe('kafkajs');
    expect(() => loadConfig({ ...base, KAFKA_CLIENT: 'rdkafka' })).toThrow(/KAFKA_CLIENT must be one of/);
    expect(loadConfig(base).writeBuffer).toBe('batched');
    expect(loadConfig({ ...base, WRITE_BUFFER: '' }).writeBuffer).toBe('batched');
    expect(loadConfig({ ...base, WRITE_BUFFER: 'sync' }).writeBuffer).toBe('sync');
    expect(loadConfig({ ...base, WRITE_BUFFER: 'batched' }).writeBuffer).toBe('batched');
    expect(() => loadConfig({ ...base, WRITE_BUFFER: 'per-row' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, WRITE_BUFFER: 'SYNC' })).toThrow(/WRITE_BUFFER must be batched or sync/);
  });

  it('refuses a shard the map does not list, and bad numbers', () => {
    expect(() => loadConfig({ ...base, SHARD_ID: 'shard-9' })).toThrow(/not in the shard map/);
    expect(() => loadConfig({ ...base, SHARD_ID: 'Shard_1' })).toThrow(/SHARD_ID must be/);
    expect(() => loadConfig({ ...base, HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
    expect(() => loadConfig({ ...base, SNAPSHOT_EVERY_COMMANDS: '0' })).toThrow(/SNAPSHOT_EVERY_COMMANDS/);
  });

  it('runs as the legacy engine when sharding is disabled, and only under its own id', () => {
    const legacy = { ...base, SHARD_COUNT: undefined, SHARDING_ENABLED: 'false' };
    expect(loadConfig({ ...legacy, SHARD_ID: 'legacy' }).shard.kafkaInputTopic).toBe('matching_engine_input');
    // Two processes under other ids would both run the one legacy engine as two shards.
    expect(() => loadConfig({ ...legacy, SHARD_ID: 'shard-1' })).toThrow(/SHARD_ID must be "legacy"/);
  });

  it('gives every shard its own consumer group, and refuses the old shared CONSUMER_GROUP', () => {
    expect(loadConfig(base).consumerGroup).toBe('shardex-engine-shard-2');
    expect(loadConfig({ ...base, CONSUMER_GROUP_PREFIX: 'eu.engines' }).consumerGroup).toBe('eu.engines-shard-2');
    expect(() => loadConfig({ ...base, CONSUMER_GROUP: 'engines' })).toThrow(/CONSUMER_GROUP_PREFIX/);
    expect(() => loadConfig({ ...base, CONSUMER_GROUP_PREFIX: 'a b' })).toThrow(/CONSUMER_GROUP_PREFIX/);
  });

  it('has lease, standby and liveness settings with safe bounds', () => {
    expect(loadConfig(base)).toMatchObject({
      leaseTtlMs: 10_000,
      standbyPollMs: 1_000,
      kafkaSessionTimeoutMs: 10_000,
      livenessTimeoutMs: 90_000,
      checkpointTimeoutMs: 60_000,
      snapshotPartItems: 10_000,
    });
    expect(loadConfig({ ...base, NODE_ID: 'shard-2-0' }).nodeId).toBe('shard-2-0');
    expect(loadConfig(base).nodeId).not.toBe(loadConfig(base).nodeId); // unique per process unless NODE_ID is set
    expect(() => loadConfig({ ...base, LEASE_TTL_MS: '500' })).toThrow(/LEASE_TTL_MS/);
    expect(() => loadConfig({ ...base, KAFKA_SESSION_TIMEOUT_MS: '3000' })).toThrow(/KAFKA_SESSION_TIMEOUT_MS/);
  });
});
