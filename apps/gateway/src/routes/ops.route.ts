import { apiErrorSchema, opsStatusSchema } from '@shardex/contracts';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';
import type { AcceptedOrdersWindow } from '../ops/accepted-orders';
import type { ShardStatusReader } from '../ops/shard-status';
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

export interface OpsRoutesOptions {
  checks: Readonly<Record<string, ReadinessCheck>>;
  metrics: GatewayMetrics;
  accepted: AcceptedOrdersWindow;
  /** Every shard's status; without it `/v1/ops/status` lists no shards. */
  shardStatus?: ShardStatusReader;
  now?: () => number;
}

/**
 * `/health` (the process answers), `/ready` (it can take orders), `/metrics` (Prometheus) and `/v1/ops/status`
 * (the shards and this gateway's intake, for the console's operations view).
 */
export function opsRoutes(
  app: FastifyInstance,
  { checks, metrics, accepted, shardStatus, now = Date.now }: OpsRoutesOptions,
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

  app.get(
    '/v1/ops/status',
    {
      config,
      schema: {
        tags: ['operations'],
        summary:
          'Every shard’s state, symbols, commands/s, input lag, last seq and snapshot age; this gateway’s intake',
        description:
          'Shard state, symbols, last seq and commands/s come from the shards’ output topics as this gateway reads ' +
          'them; snapshot and writer lease from MySQL; input lag from the shards’ consumer groups — the sources of ' +
          '`orchestrator status`. A source that cannot be read leaves its fields null and says why in `problems`. ' +
          'The gateway figures cover the orders it accepted itself over the last 60 s.',
        response: { 200: opsStatusSchema, '5xx': apiErrorSchema },
      },
    },
    async () => {
      let shards;
      try {
        shards = shardStatus ? await shardStatus.read() : [];
      } catch (err) {
        throw new ApiError('UNAVAILABLE', `shard status cannot be read: ${(err as Error).message}`);
      }
      return { at: now(), gateway: accepted.view(), shards };
    },
  );
}
