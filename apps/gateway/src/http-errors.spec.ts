import Fastify, { type FastifyInstance } from 'fastify';
import { API_ERRORS, ApiError } from './errors';
import { registerErrorHandling } from './http-errors';
import { AJV_OPTIONS } from './validation';

/** An app with the gateway's error handling and routes that fail in each way a real route can. */
async function appUnderTest(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024, ajv: AJV_OPTIONS });
  registerErrorHandling(app);
  app.post(
    '/echo',
    {
      schema: {
        body: {
          type: 'object',
          required: ['n'],
          additionalProperties: false,
          properties: { n: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (req) => req.body,
  );
  app.get('/limited', async () => {
    throw new ApiError('RATE_LIMITED', 'slow down', { 'retry-after': '3' });
  });
  app.get('/broken', async () => {
    throw new Error('secret connection string mysql://root:pw@db');
  });
  await app.ready();
  return app;
}

describe('error answers', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appUnderTest();
  });
  afterAll(() => app.close());

  const post = (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': contentType } });

  it.each([
    ['a schema violation', () => post('{"n":0}'), 'VALIDATION_FAILED'],
    ['an unknown property', () => post('{"n":1,"x":2}'), 'VALIDATION_FAILED'],
    ['malformed JSON', () => post('{"n":'), 'INVALID_JSON'],
    ['an empty JSON body', () => post(''), 'EMPTY_BODY'],
    ['a body over the limit', () => post(JSON.stringify({ n: 1, pad: 'x'.repeat(2000) })), 'PAYLOAD_TOO_LARGE'],
    ['a body that is not JSON', () => post('n=1', 'application/x-www-form-urlencoded'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['an unknown route', () => app.inject({ method: 'GET', url: '/missing' }), 'NOT_FOUND'],
    ['an ApiError from a route', () => app.inject({ method: 'GET', url: '/limited' }), 'RATE_LIMITED'],
    ['an unexpected throw', () => app.inject({ method: 'GET', url: '/broken' }), 'INTERNAL'],
  ] as const)('answers %s with its catalogued code and status', async (_what, send, code) => {
    const res = await send();
    const body = res.json();
    expect(res.statusCode).toBe(API_ERRORS[code].statusCode);
    expect(body).toEqual({
      statusCode: API_ERRORS[code].statusCode,
      code,
      error: expect.any(String),
      message: expect.any(String),
    });
    expect(body.message).not.toContain('mysql://');
  });

  it('sends the headers an ApiError carries', async () => {
    const res = await app.inject({ method: 'GET', url: '/limited' });
    expect(res.headers['retry-after']).toBe('3');
    expect(res.json().message).toBe('slow down');
  });

  it('keeps a valid request working', async () => {
    const res = await post('{"n":3}');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ n: 3 });
  });

  it('catalogues every code with a 4xx or 5xx status and a description', () => {
    for (const [code, { statusCode, description }] of Object.entries(API_ERRORS)) {
      expect(code).toMatch(/^[A-Z_]+$/);
      expect(statusCode >= 400 && statusCode < 600).toBe(true);
      expect(description.length).toBeGreaterThan(10);
    }
  });
});
