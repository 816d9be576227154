import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../plugins/metrics.plugin';

/** A readiness check: resolves to null when fine, or to what is wrong. */
export type ReadinessCheck = () => Promise<string | null> | string | null;

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

// Operations endpoints answer even when the gateway sheds load: they are how an operator sees why.
const config = { pressureHandler: () => null };

/** `/health` (the process answers), `/ready` (it can take orders) and `/metrics` (Prometheus). */
export function opsRoutes(
  app: FastifyInstance,
  { checks, metrics }: { checks: Readonly<Record<string, ReadinessCheck>>; metrics: GatewayMetrics },
) {
  app.get(
    '/health',
    { config, schema: { tags: ['operations'], summary: 'Liveness', response: { 200: statusSchema } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      config,
      schema: {
        tags: ['operations'],
        summary: 'Readiness: Kafka producer, MySQL, instruments and the output feed',
        response: { 200: statusSchema, 503: statusSchema },
      },
    },
    async (_request, reply) => {
      const results: Record<string, string> = {};
      let ok = true;
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          let problem: string | null;
          try {
            problem = await check();
          } catch (err) {
            problem = err instanceof Error ? err.message : String(err);
          }
          results[name] = problem ?? 'ok';
          if (problem !== null) ok = false;
        }),
      );
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: results });
    },
  );

  app.get('/metrics', { config, schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
