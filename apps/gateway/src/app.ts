import Fastify, { type FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config';

/** Builds the HTTP app without listening, so tests drive it with `app.inject()`. */
export function buildApp(config: Pick<GatewayConfig, 'logLevel'>): FastifyInstance {
  const app = Fastify({ logger: { level: config.logLevel } });
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
