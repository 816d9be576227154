import type { Logger } from '@shardex/contracts';
import {
  createApiKeyStore,
  createApiKeyVerifier,
  createClientOrderStore,
  createDb,
  createInstrumentRegistry,
  createOrderQueries,
  migrateLatest,
  readShardHealth,
} from '@shardex/db';
import { createKafkaProducer } from '@shardex/kafka';
import { createOrderRouter } from '@shardex/order-router';
import type { FastifyInstance } from 'fastify';
import { createClientOrderBatcher } from './adapters/client-order-batcher';
import { createClockGuard } from './adapters/clock-guard';
import { createCommandSender } from './adapters/command-sender';
import { createGroupLagReader } from './adapters/group-lag';
import { createInstrumentCatalog } from './adapters/instrument-catalog';
import { feedPort } from './adapters/market-feed';
import { buildApp } from './app';
import type { GatewayConfig } from './config';
import { createMarketDataFeed } from './market-data';
import { createShardStatusReader } from './ops/shard-status';
import { createGatewayMetrics } from './plugins/metrics.plugin';
import { streamRoutes } from './routes/stream.route';

export interface RunningGateway {
  app: FastifyInstance;
  /** The address it listens on (`http://host:port`). */
  url: string;
  /** Stops taking requests, waits for those in flight (and their produces), then closes Kafka and MySQL. */
  stop(): Promise<void>;
}

/** How often reservations older than the clientOrderId retention are purged. */
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * Wires the gateway: MySQL (migrated), the instrument registry, the Kafka producer behind the order router, the
 * output-topic feed, and the HTTP app. Everything opened here is closed by `stop()` — also when start-up fails half way.
 */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => log.warn({ err }, 'close failed'));
  };
  try {
    const db = createDb({ url: config.mysqlUrl, logger: log, poolMax: 20 });
    closers.push(() => db.destroy());
    await migrateLatest(db);

    let connected = false;
    let inFlight = () => 0;
    const metrics = createGatewayMetrics({ inFlightProduces: () => inFlight() });
    const producer = createKafkaProducer({
      brokers: [...config.kafkaBrokers],
      client: config.kafkaClient,
      clientId: 'shardex-gateway',
      logger: log,
      lingerMs: config.producerLingerMs,
      maxBatchRecords: config.producerMaxBatchRecords,
      // Orders are answered promptly: few retries, short requests, and after a failure the topic's next orders are
      // refused at once for a second (503, nothing sent) instead of each waiting out the retries again.
      retries: config.kafkaRetries,
      requestTimeoutMs: config.kafkaRequestTimeoutMs,
      openCircuitMs: 1_000,
      onBatch: ({ records }) => metrics.produceBatch.observe(records),
    });
    await producer.connect();
    connected = true;
    closers.push(async () => {
      connected = false;
      await producer.disconnect();
    });
    const router = createOrderRouter({ shardMap: config.shardMap, producer, logger: log });
    const sender = createCommandSender(router, { connected: () => connected });
    inFlight = sender.inFlight;

    const catalog = createInstrumentCatalog({
      registry: createInstrumentRegistry(db),
      shardMap: config.shardMap,
      logger: log,
    });
    // No instrument set yet is not fatal: the gateway is not ready, and polling picks one up once it is published.
    if (!(await catalog.refresh())) log.warn({}, 'no instrument set published yet (orchestrator init)');
    catalog.start(config.instrumentsPollMs);
    closers.push(async () => catalog.stop());

    const feed = createMarketDataFeed({
      shards: config.shardMap.shards,
      kafka: {
        brokers: [...config.kafkaBrokers],
        client: config.kafkaClient,
        clientId: 'shardex-gateway-md',
        logger: log,
      },
      logger: log,
    });
    await feed.start();
    closers.push(() => feed.stop());

    const clientOrderStore = createClientOrderStore(db, { retentionMs: config.clientOrderRetentionMs });
    const clientOrders = createClientOrderBatcher(clientOrderStore);
    // Before the pool closes: the last reservations and "sent" marks are written, not aborted (a row left pending
    // would make a retry re-send its order).
    closers.push(() => clientOrders.drain());

    const clock = createClockGuard({
      referenceNow: async () => {
        const [rows] = (await db.raw('SELECT UNIX_TIMESTAMP(NOW(3)) AS t')) as [Array<{ t: string | number }>];
        return Math.round(Number(rows[0]?.t) * 1000);
      },
      maxSkewMs: config.maxClockSkewMs,
      logger: log,
    });
    const skew = await clock.check();
    if (clock.refusal()) log.error({ skewMs: skew }, 'clock skew: orders are refused until it is fixed');
    clock.start(10_000);
    closers.push(async () => clock.stop());
    const purge = setInterval(() => {
      clientOrderStore
        .purge(new Date())
        .then((n) => n > 0 && log.info({ purged: n }, 'expired clientOrderId reservations purged'))
        .catch((err: unknown) => log.warn({ err }, 'clientOrderId purge failed'));
    }, PURGE_EVERY_MS);
    purge.unref();
    closers.push(async () => clearInterval(purge));

    const lag = createGroupLagReader({
      kafka: {
        brokers: [...config.kafkaBrokers],
        client: config.kafkaClient,
        clientId: 'shardex-gateway-ops',
        logger: log,
        retries: 1,
      },
      shards: config.shardMap.shards,
      groupPrefix: config.shardGroupPrefix,
    });
    closers.push(() => lag.close());
    const shardStatus = createShardStatusReader({
      activity: () => feed.shards(),
      health: (shardId) => readShardHealth(db, shardId),
      inputLag: (shardId) => lag.inputLag(shardId),
    });

    const verifier = createApiKeyVerifier(createApiKeyStore(db), { ttlMs: config.apiKeyCacheTtlMs });
    const queries = createOrderQueries(db);
    const app = buildApp(config, {
      sender,
      catalog,
      clientOrders,
      queries,
      feed: feedPort(feed),
      verifier,
      metrics,
      shardStatus,
      consoleDir: config.consoleDir,
      refuseOrders: () => clock.refusal(),
      checks: {
        mysql: async () => {
          await db.raw('select 1');
          return null;
        },
        feed: () => (feed.ready() ? null : 'the output topics are still being read up to their end'),
        shardMap: () => (catalog.problems().length ? catalog.problems().join('; ') : null),
      },
      extraRoutes: async (root) => {
        await root.register(streamRoutes, {
          feed,
          verifier,
          isKnownSymbol: (symbol) => catalog.lookup(symbol) !== undefined,
        });
      },
    });
    // Fastify closes first (no new requests, in-flight ones finish, their produces acknowledged), then the rest.
    closers.push(() => app.close());
    const url = await app.listen({ host: config.host, port: config.port });
    log.info({ url, shards: config.shardMap.shards.length, instruments: catalog.version() }, 'gateway started');
    let stopped: Promise<void> | undefined;
    return {
      app,
      url,
      stop() {
        stopped ??= closeAll();
        return stopped;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
