import type { VerifiedApiKey } from '@shardex/db';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerPrivateRoutes } from './auth';
import { registerErrorHandling } from './http-errors';
import { AJV_OPTIONS } from './validation';

const KEYS: Record<string, VerifiedApiKey> = { 'ak_alice.secret': { keyId: 'ak_alice', userId: 'alice' } };

async function appWith(verify: (key: unknown) => Promise<VerifiedApiKey | undefined>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ajv: AJV_OPTIONS });
  registerErrorHandling(app);
  app.get('/public', async () => ({ ok: true }));
  await registerPrivateRoutes(app, { verify }, (scope) => {
    scope.get('/private', async (req) => ({ user: req.principal?.userId }));
    scope.post('/private', async (req) => ({ user: req.principal?.userId }));
  });
  await app.ready();
  return app;
}

describe('API key authentication', () => {
  let calls: unknown[];
  let app: FastifyInstance;
  beforeEach(async () => {
    calls = [];
    app = await appWith(async (key) => {
      calls.push(key);
      return typeof key === 'string' ? KEYS[key] : undefined;
    });
  });
  afterEach(() => app.close());

  it('lets a live key through and tells the route who sent it', async () => {
    const res = await app.inject({ method: 'GET', url: '/private', headers: { 'x-api-key': 'ak_alice.secret' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: 'alice' });
  });

  it.each([
    ['no header', {}],
    ['an empty header', { 'x-api-key': '' }],
    ['an unknown key', { 'x-api-key': 'ak_mallory.guess' }],
  ])('answers 401 UNAUTHENTICATED for %s', async (_what, headers) => {
    const res = await app.inject({ method: 'GET', url: '/private', headers });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
  });

  it('checks the key before reading the body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/private',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(401);
  });

  it('leaves public routes alone', async () => {
    const res = await app.inject({ method: 'GET', url: '/public' });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([]);
  });

  it('answers 503 with retry-after, not 401, when the key cannot be checked', async () => {
    const failing = await appWith(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    try {
      const res = await failing.inject({ method: 'GET', url: '/private', headers: { 'x-api-key': 'ak_alice.secret' } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ code: 'UNAVAILABLE' });
      expect(res.json().message).not.toContain('ECONNREFUSED');
    } finally {
      await failing.close();
    }
  });
});
