import { buildApp } from './app';
import { ConfigError, loadConfig } from './config';

describe('gateway app', () => {
  it('answers /health', async () => {
    const app = buildApp({ logLevel: 'silent' });
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    await app.close();
  });

  it('answers an unknown route with the catalogue’s 404', async () => {
    const app = buildApp({ logLevel: 'silent' });
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: 'no route GET /nope',
    });
    await app.close();
  });
});

describe('gateway config', () => {
  it('has defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config).toEqual({ host: '127.0.0.1', port: 8080, logLevel: 'info' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([['0'], ['65536'], ['80a'], ['-1']])('rejects PORT=%s with a coded error', (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(ConfigError);
  });

  it('rejects an unknown LOG_LEVEL', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of/);
  });
});
