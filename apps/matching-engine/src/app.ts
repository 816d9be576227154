import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createDb, migrateLatest } from '@shardex/db';
import { createKafkaAdmin, ensureTopics, type KafkaClientOptions, shardTopics } from '@shardex/kafka';
import { createShardMap } from '@shardex/order-router';
import type { EngineConfig } from './config';
import { EngineError } from './errors';
import { createHttpServer, createMetrics } from './http';
import { ShardNode } from './shard-node';

export interface RunningShard {
  node: ShardNode;
  server: Server;
  /** Graceful stop: finish the batch, flush, snapshot, release the lease, close connections. */
  stop(): Promise<void>;
}

/** A shard's input and preload topics must have exactly one partition each: the engine's order is their order. */
async function checkSinglePartitions(config: EngineConfig, kafka: KafkaClientOptions) {
  const admin = createKafkaAdmin(kafka);
  await admin.connect();
  try {
    for (const topic of [config.shard.kafkaInputTopic, config.shard.kafkaPreloadTopic]) {
      const partitions = (await admin.topicOffsets(topic)).length;
      if (partitions !== 1)
        throw new EngineError(
          'ENGINE_ERR_TOPIC',
          `${topic} has ${partitions} partitions: a shard's input and preload topics must have exactly one (the engine is deterministic over their order)`,
        );
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Wires one shard process: database (migrated), the shard's topics, the HTTP endpoints, and the node that takes the
 * shard's lease (or waits as a standby) and runs the engine. Returns at once; `node.whenActive()` tells when it runs.
 */
export async function startShard(config: EngineConfig, log: Logger): Promise<RunningShard> {
  // A process frozen inside a transaction (paused, partitioned) would hold its locks, and so the shard, until the
  // server drops its session: make that twice the lease's time to live rather than the server's eight hours.
  const db = createDb({
    url: config.mysqlUrl,
    logger: log,
    idleSessionTimeoutS: Math.max(5, Math.ceil((2 * config.leaseTtlMs) / 1000)),
  });
  try {
    await migrateLatest(db);
    const kafka: KafkaClientOptions = {
      brokers: config.kafkaBrokers,
      client: config.kafkaClient,
      clientId: `shardex-engine-${config.shardId}`,
      logger: log,
    };
    // The shard's own topics; creating them here is idempotent and spares a separate set-up step.
    await ensureTopics(
      kafka,
      shardTopics(createShardMap({ shards: [{ ...config.shard, symbols: [...config.shard.symbols] }] })),
      { checkExisting: false },
    );
    await checkSinglePartitions(config, kafka);
    const node = new ShardNode({ config, db, logger: log, kafka });
    const server = createHttpServer(node, createMetrics(node, config.shardId));
    await new Promise<void>((resolve) => server.listen(config.httpPort, config.httpHost, resolve));
    node.start();
    log.info(
      { port: config.httpPort, input: config.shard.kafkaInputTopic, node: config.nodeId },
      'matching engine started',
    );
    let stopped: Promise<void> | undefined;
    return {
      node,
      server,
      stop() {
        stopped ??= (async () => {
          await node.stop();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          await db.destroy();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
