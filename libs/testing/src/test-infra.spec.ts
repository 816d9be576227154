import { TESTING_ERROR_CODES, TestingError } from './errors';
import { databaseName, isRunDatabase, isRunTopic, topicName } from './names';
import { getTestInfra, infraFromEnv, infraToEnv, parseKafkaBrokers, parseMysqlUrl } from './test-infra';

describe('test infra from env', () => {
  const env = {
    SHARDEX_TEST_KAFKA_BROKERS: '127.0.0.1:19092, 127.0.0.1:19094',
    SHARDEX_TEST_MYSQL_URL: 'mysql://u%40x:p%3Aw@db.local:3307/',
  };

  it('parses both variables', () => {
    expect(infraFromEnv(env)).toEqual({
      kafkaBrokers: ['127.0.0.1:19092', '127.0.0.1:19094'],
      mysql: { url: 'mysql://u%40x:p%3Aw@db.local:3307/', host: 'db.local', port: 3307, user: 'u@x', password: 'p:w' },
    });
  });

  it('round-trips through infraToEnv', () => {
    const infra = infraFromEnv(env);
    expect(infra && infraFromEnv(infraToEnv(infra))).toEqual(infra);
  });

  it('is undefined when neither is set, and an error when only one is', () => {
    expect(infraFromEnv({})).toBeUndefined();
    expect(() => infraFromEnv({ SHARDEX_TEST_KAFKA_BROKERS: 'h:1' })).toThrow(/set both/);
  });

  it('rejects malformed values with TESTING_ERR_ENV', () => {
    expect(() => parseKafkaBrokers('localhost')).toThrow(expect.objectContaining({ code: 'TESTING_ERR_ENV' }));
    expect(() => parseKafkaBrokers(' , ')).toThrow(TestingError);
    expect(() => parseMysqlUrl('postgres://u:p@h/')).toThrow(expect.objectContaining({ code: 'TESTING_ERR_ENV' }));
    expect(() => parseMysqlUrl('not a url')).toThrow(TestingError);
  });

  it('defaults the MySQL port to 3306', () => {
    expect(parseMysqlUrl('mysql://root:pw@h/').port).toBe(3306);
  });

  it('getTestInfra explains how to get infrastructure when none is published', () => {
    expect(() => getTestInfra({})).toThrow(/run integration tests through their nx target/);
  });
});

describe('unique names', () => {
  it('makes legal, run-scoped topic names', () => {
    const name = topicName('ab12', 'ff00', 'shard-1.input_x');
    expect(name).toBe('sxt-ab12-ff00-shard-1.input_x');
    expect(isRunTopic(name, 'ab12')).toBe(true);
    expect(isRunTopic(name, 'ab1')).toBe(false);
    expect(() => topicName('ab12', 'ff00', 'bad name')).toThrow(expect.objectContaining({ code: 'TESTING_ERR_NAME' }));
  });

  it('makes MySQL identifiers of at most 64 characters', () => {
    const name = databaseName('ab12', 'ff00', 'Write Buffer!');
    expect(name).toBe('sxt_ab12_ff00_write_buffer_');
    expect(isRunDatabase(name, 'ab12')).toBe(true);
    expect(databaseName('0123456789abcdef', 'ffffffff', 'x'.repeat(100)).length).toBeLessThanOrEqual(64);
  });
});

describe('testing errors', () => {
  it('documents every code', () => {
    for (const [code, doc] of Object.entries(TESTING_ERROR_CODES)) {
      expect(doc.length).toBeGreaterThan(10);
      expect(new TestingError(code as keyof typeof TESTING_ERROR_CODES, 'm').message).toBe(`${code}: m`);
    }
  });
});
