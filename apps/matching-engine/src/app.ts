import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createDb, createSnapshotStore, migrateLatest } from '@shardex/db';
import { createKafkaConsumer, createKafkaProducer, ensureTopics, shardTopics } from '@shardex/kafka';
import { createShardMap } from '@shardex/order-router';
import { createWriteBuffer } from '@shardex/write-buffer';
import type { EngineConfig } from './config';
import { createHttpServer, createMetrics } from './http';
import { ShardEngine } from './shard-engine';

export interface RunningShard {
  engine: ShardEngine;
  server: Server;
  /** Graceful stop: finish the batch, flush, commit, snapshot, close connections. */
  stop(): Promise<void>;
}

/** Wires one shard process from its config: database, topics, producer, consumer, write buffer, engine, HTTP. */
export async function startShard(
  config: EngineConfig,
  log: Logger,
  onFatal?: (err: unknown) => void,
): Promise<RunningShard> {
  const db = createDb({ url: config.mysqlUrl, logger: log });
  await migrateLatest(db);
  const kafka = { brokers: config.kafkaBrokers, clientId: `shardex-engine-${config.shardId}`, logger: log };
  // The shard's own topics; creating them here is idempotent and spares a separate set-up step.
  await ensureTopics(
    kafka,
    shardTopics(createShardMap({ shards: [{ ...config.shard, symbols: [...config.shard.symbols] }] })),
    {
      checkExisting: false,
    },
  );
  const producer = createKafkaProducer(kafka);
  await producer.connect();
  const consumer = createKafkaConsumer({ ...kafka, groupId: config.consumerGroup });
  await consumer.connect();
  const inputPartitions = (await consumer.earliestOffsets(config.shard.kafkaInputTopic)).size;
  if (inputPartitions !== 1) {
    // The engine is deterministic over the order of its input; several partitions have no order to replay.
    throw new Error(
      `${config.shard.kafkaInputTopic} has ${inputPartitions} partitions: a shard's input topic must have exactly one`,
    );
  }
  const writeBuffer = createWriteBuffer({
    db,
    maxBatchSize: config.writeBatchSize,
    flushIntervalMs: config.writeFlushMs,
    logger: log,
  });
  const engine = new ShardEngine({
    shard: config.shard,
    consumer,
    producer,
    writeBuffer,
    snapshots: createSnapshotStore(db),
    logger: log,
    snapshotEveryCommands: config.snapshotEveryCommands,
    snapshotEveryMs: config.snapshotEveryMs,
    depthEveryCommands: config.depthEveryCommands,
    depthLevels: config.depthLevels,
    ...(onFatal && { onFatal }),
  });
  const server = createHttpServer(engine, createMetrics(engine, writeBuffer, config.shardId));
  await new Promise<void>((resolve) => server.listen(config.httpPort, config.httpHost, resolve));
  await engine.start();
  log.info({ port: config.httpPort, input: config.shard.kafkaInputTopic }, 'matching engine started');
  let stopped: Promise<void> | undefined;
  return {
    engine,
    server,
    stop() {
      stopped ??= (async () => {
        await engine.stop();
        await producer.disconnect();
        await db.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopped;
    },
  };
}
