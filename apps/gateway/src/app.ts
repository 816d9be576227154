import Fastify, { type FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config';
import { registerErrorHandling } from './http-errors';
import { AJV_OPTIONS } from './validation';

/** Builds the HTTP app without listening, so tests drive it with `app.inject()`. */
export function buildApp(config: Pick<GatewayConfig, 'logLevel'>): FastifyInstance {
  const app = Fastify({ logger: { level: config.logLevel }, ajv: AJV_OPTIONS });
  registerErrorHandling(app);
  app.get(
    '/health',
    {
      schema: {
        response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } },
      },
    },
    async () => ({ status: 'ok' }),
  );
  return app;
}
