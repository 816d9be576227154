import { ConfigError, loadConfig } from './config';

describe('matching-engine config', () => {
  it('requires SHARD_ID', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/SHARD_ID is required/);
  });

  it('parses and freezes a valid config', () => {
    const config = loadConfig({ SHARD_ID: 'shard-2', HTTP_PORT: '9500' });
    expect(config).toEqual({ shardId: 'shard-2', httpPort: 9500, httpHost: '127.0.0.1' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([['Shard_1'], ['-x'], ['a b']])('rejects SHARD_ID=%p', (id) => {
    expect(() => loadConfig({ SHARD_ID: id })).toThrow(/SHARD_ID must be/);
  });

  it('rejects a bad HTTP_PORT', () => {
    expect(() => loadConfig({ SHARD_ID: 'shard-1', HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
  });
});
