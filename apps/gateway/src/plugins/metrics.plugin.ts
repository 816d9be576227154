import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own (tests build many apps in one process). */
export function createGatewayMetrics({
  inFlightProduces = () => 0,
  defaults = true,
}: { inFlightProduces?: () => number; defaults?: boolean } = {}) {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'shardex_gateway_' });
  const requests = new Counter({
    name: 'shardex_gateway_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'shardex_gateway_http_request_duration_seconds',
    help: 'Time from the request arriving to the answer sent, by route and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const produceBatch = new Histogram({
    name: 'shardex_gateway_produce_batch_records',
    help: 'Commands per produce request to Kafka (the producer batches concurrent requests).',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [registry],
  });
  const produceFailures = new Counter({
    name: 'shardex_gateway_produce_failures_total',
    help: 'Commands Kafka did not acknowledge (answered 503).',
    registers: [registry],
  });
  new Gauge({
    name: 'shardex_gateway_produces_in_flight',
    help: 'Commands sent to Kafka and not yet acknowledged.',
    registers: [registry],
    collect() {
      this.set(inFlightProduces());
    },
  });
  return { registry, requests, latency, produceBatch, produceFailures };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** Counts and times every answer by its route pattern (never the raw URL: ids would explode the label set). */
export function registerRequestMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
}
