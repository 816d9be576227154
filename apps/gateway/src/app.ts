import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { registerPrivateRoutes } from './auth';
import type { GatewayConfig } from './config';
import { API_ERRORS, ApiError } from './errors';
import { frameworkErrors, registerErrorHandling } from './http-errors';
import { createOrderIdGenerator, type OrderIdGenerator } from './order-ids';
import { createOrderService } from './orders/order-service';
import { type AcceptedOrdersWindow, createAcceptedOrdersWindow } from './ops/accepted-orders';
import type { ShardStatusReader } from './ops/shard-status';
import { createGatewayMetrics, type GatewayMetrics, registerRequestMetrics } from './plugins/metrics.plugin';
import type { ClientOrders, CommandSender, InstrumentCatalog, KeyVerifier, MarketFeed, OrderQueries } from './ports';
import { consoleRoutes } from './routes/console.route';
import { marketRoutes } from './routes/markets.route';
import { opsRoutes, type ReadinessCheck } from './routes/ops.route';
import { orderRoutes } from './routes/orders.route';
import { registerValidation } from './validation';

export type AppConfig = Pick<
  GatewayConfig,
  | 'logLevel'
  | 'bodyLimitBytes'
  | 'rateLimitMax'
  | 'publicRateLimitMax'
  | 'rateLimitWindowMs'
  | 'resultTimeoutMs'
  | 'produceTimeoutMs'
  | 'resendWindowMs'
  | 'maxEventLoopDelayMs'
>;

/** What the app talks to; main.ts passes the real adapters, tests in-memory fakes. */
export interface GatewayDeps {
  sender: CommandSender;
  catalog: InstrumentCatalog;
  clientOrders: ClientOrders;
  queries: OrderQueries;
  feed: MarketFeed;
  verifier: KeyVerifier;
  ids?: OrderIdGenerator;
  now?: () => number;
  metrics?: GatewayMetrics;
  /** Why orders cannot be taken now (the clock guard), or null. */
  refuseOrders?: () => string | null;
  /** Readiness checks beyond the producer's and the instruments' (MySQL, the feed). */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /** Registers more routes (the WebSocket stream) on the app. */
  extraRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Every shard's status for `/v1/ops/status`. */
  shardStatus?: ShardStatusReader;
  /** This gateway's accepted orders and their latency (a new 60 s window by default). */
  accepted?: AcceptedOrdersWindow;
  /** The built web console (dist/apps/console) served at `/`; undefined or missing: `/` says how to build it. */
  consoleDir?: string;
}

class Overloaded extends ApiError {
  constructor() {
    super('UNAVAILABLE', 'the gateway is overloaded; retry shortly', { 'retry-after': '1' });
  }
}

const API_DESCRIPTION = [
  'Orders, cancels and market data of shardex. Amounts are decimal strings. Private routes need `x-api-key`.',
  '',
  'Every error is `{ statusCode, code, error, message }`; the codes:',
  '',
  ...Object.entries(API_ERRORS).map(([code, e]) => `- \`${code}\` (${e.statusCode}): ${e.description}`),
].join('\n');

/** Builds the HTTP app without listening, so tests drive it with `app.inject()`. */
export function buildApp(config: AppConfig, deps: GatewayDeps): FastifyInstance {
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    // Ids and symbols are short; a longer path parameter is refused (414) before routing work.
    routerOptions: { maxParamLength: 200 },
    frameworkErrors,
    return503OnClosing: true,
  });
  const metrics = deps.metrics ?? createGatewayMetrics({ defaults: false });
  const ids = deps.ids ?? createOrderIdGenerator();
  const accepted = deps.accepted ?? createAcceptedOrdersWindow(deps.now ? { now: deps.now } : {});
  const acceptedBy = new WeakMap<FastifyRequest, number>();
  app.addHook('onResponse', async (request, reply) => {
    const orders = acceptedBy.get(request);
    if (orders !== undefined && orders > 0) accepted.record(orders, reply.elapsedTime);
  });
  registerErrorHandling(app);
  registerValidation(app);
  registerRequestMetrics(app, metrics);
  // JSON only: fastify's built-in text/plain parser would hand a string to routes that expect an object.
  app.removeContentTypeParser('text/plain');

  void app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    customError: Overloaded,
    retryAfter: 1,
  });
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'shardex gateway', version: '1', description: API_DESCRIPTION },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });

  const orders = createOrderService({
    sender: deps.sender,
    catalog: deps.catalog,
    clientOrders: deps.clientOrders,
    queries: deps.queries,
    feed: deps.feed,
    ids,
    resultTimeoutMs: config.resultTimeoutMs,
    produceTimeoutMs: config.produceTimeoutMs,
    resendWindowMs: config.resendWindowMs,
    ...(deps.refuseOrders ? { refuseOrders: deps.refuseOrders } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    onSendFailure: (err, command) => {
      metrics.produceFailures.inc();
      app.log.warn({ err, commandId: command.commandId }, 'Kafka did not take a command');
    },
    onMarkSentFailure: (err, orderId) => app.log.warn({ err, orderId }, 'clientOrderId not marked sent'),
  });

  void app.register(async (root) => {
    // Operations routes stay outside every rate limit; public data is limited per client address.
    opsRoutes(root, {
      metrics,
      accepted,
      ...(deps.shardStatus ? { shardStatus: deps.shardStatus } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      checks: {
        kafka: () => (deps.sender.ready() ? null : 'the producer is not connected or its last send failed'),
        instruments: () => (deps.catalog.version() === undefined ? 'no instrument set loaded' : null),
        ...(deps.refuseOrders ? { clock: deps.refuseOrders } : {}),
        ...deps.checks,
      },
    });
    await root.register(async (open) => {
      await open.register(rateLimit, {
        max: config.publicRateLimitMax,
        timeWindow: config.rateLimitWindowMs,
        keyGenerator: (request) => request.ip,
        errorResponseBuilder: (_request, ctx) =>
          new ApiError('RATE_LIMITED', `more than ${ctx.max} requests in ${ctx.after}; retry after it`),
      });
      marketRoutes(open, {
        catalog: deps.catalog,
        feed: deps.feed,
        queries: deps.queries,
        ...(deps.now ? { now: deps.now } : {}),
      });
    });
    await registerPrivateRoutes(root, deps.verifier, async (scope) => {
      // After the key check (onRequest), before the body is parsed: per key, not per address.
      await scope.register(rateLimit, {
        max: config.rateLimitMax,
        timeWindow: config.rateLimitWindowMs,
        hook: 'preParsing',
        keyGenerator: (request) => request.principal?.keyId ?? request.ip,
        errorResponseBuilder: (_request, ctx) =>
          new ApiError('RATE_LIMITED', `more than ${ctx.max} requests in ${ctx.after}; retry after it`),
      });
      orderRoutes(scope, {
        orders,
        queries: deps.queries,
        catalog: deps.catalog,
        onAccepted: (request, n) => acceptedBy.set(request, n),
      });
    });
    if (deps.extraRoutes) await deps.extraRoutes(root);
    await root.register(consoleRoutes, { dir: deps.consoleDir });
  });
  return app;
}
