import { createShardMap } from '@shardex/order-router';
import { shardTopics } from './admin';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, parseBrokerList, parseKafkaClient } from './clients';
import { createKafkaClient } from './kafkajs/client';
import { KAFKA_ERROR_CODES } from './errors';
import { createKafkaConsumer } from './consumer';
import { createKafkaProducer } from './producer';

describe('kafka adapters (no broker needed)', () => {
  it('lists every topic a shard map needs, with partitions and retention per role', () => {
    const map = createShardMap({ shards: [{ shardId: 'shard-1' }, { shardId: 'shard-2' }] });
    const specs = shardTopics(map, { partitions: 12, retentionMs: 60_000 });
    expect(specs.map((s) => [s.topic, s.partitions])).toEqual([
      ['shard-1-input', 1],
      ['shard-1-preload', 1],
      ['shard-1-output', 12],
      ['shard-1-dlq', 1],
      ['shard-2-input', 1],
      ['shard-2-preload', 1],
      ['shard-2-output', 12],
      ['shard-2-dlq', 1],
    ]);
    expect(specs.every((s) => s.configEntries?.['retention.ms'] === '60000')).toBe(true);
  });

  it('refuses bad options before connecting to anything', () => {
    expect(() => createKafkaClient({ brokers: [] })).toThrow(expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }));
    expect(() => createKafkaClient({ brokers: ['localhost'] })).toThrow(
      expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }),
    );
    expect(() => createKafkaProducer({ brokers: ['h:1'], maxBatchRecords: 0 })).toThrow(
      expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }),
    );
    expect(() => createKafkaProducer({ brokers: ['h:1'], lingerMs: -1 })).toThrow(
      expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }),
    );
  });

  it('refuses to send before connect', async () => {
    const producer = createKafkaProducer({ brokers: ['127.0.0.1:1'] });
    await expect(producer.send({ topic: 't', key: 'k', value: 'v', headers: {} })).rejects.toMatchObject({
      code: 'KAFKA_ERR_NOT_CONNECTED',
    });
  });

  it('documents every error code', () => {
    for (const doc of Object.values(KAFKA_ERROR_CODES)) expect(doc.length).toBeGreaterThan(15);
  });
});

describe('parseBrokerList', () => {
  it('reads host:port entries, trimmed, and refuses an empty or malformed list', () => {
    expect(parseBrokerList(' k1:9092, k2:9093 ,')).toEqual(['k1:9092', 'k2:9093']);
    for (const raw of [undefined, '', ' , ', 'nohost', 'k1:9092,k2', 'k 1:9092', 'k1:123456'])
      expect(parseBrokerList(raw)).toBeUndefined();
  });
});

describe('parseKafkaClient', () => {
  it('names a supported client, defaults when unset, and refuses anything else', () => {
    expect(KAFKA_CLIENTS).toContain(DEFAULT_KAFKA_CLIENT);
    for (const c of KAFKA_CLIENTS) expect(parseKafkaClient(` ${c} `)).toBe(c);
    expect(parseKafkaClient(undefined)).toBe(DEFAULT_KAFKA_CLIENT);
    expect(parseKafkaClient('')).toBe(DEFAULT_KAFKA_CLIENT);
    for (const raw of ['KAFKAJS', 'librdkafka', 'confluent', 'kafkajs,platformatic'])
      expect(parseKafkaClient(raw)).toBeUndefined();
  });

  it('is checked by every factory before anything connects', () => {
    const client = 'nope' as never;
    expect(() => createKafkaProducer({ brokers: ['h:1'], client })).toThrow(
      expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }),
    );
    expect(() => createKafkaConsumer({ brokers: ['h:1'], client, groupId: 'g' })).toThrow(
      expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }),
    );
    for (const c of KAFKA_CLIENTS)
      expect(() => createKafkaConsumer({ brokers: ['h:1'], client: c, groupId: '' })).toThrow(
        expect.objectContaining({ code: 'KAFKA_ERR_CONFIG' }),
      );
  });
});
