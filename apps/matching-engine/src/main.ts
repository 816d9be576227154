import pino from 'pino';
import { createDb, createSnapshotStore, migrateLatest } from '@shardex/db';
import { createKafkaConsumer, createKafkaProducer, ensureTopics, shardTopics } from '@shardex/kafka';
import { createShardMap } from '@shardex/order-router';
import { createWriteBuffer } from '@shardex/write-buffer';
import { loadConfig } from './config';
import { createHttpServer, createMetrics } from './http';
import { ShardEngine } from './shard-engine';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'matching-engine', shardId: config.shardId } });
  const db = createDb({ url: config.mysqlUrl, logger: log });
  await migrateLatest(db);
  const kafka = { brokers: config.kafkaBrokers, clientId: `shardex-engine-${config.shardId}`, logger: log };
  // The shard's own topics; creating them here is idempotent and spares a separate set-up step.
  await ensureTopics(kafka, shardTopics(createShardMap({ shards: [{ ...config.shard, symbols: [...config.shard.symbols] }] })));
  const producer = createKafkaProducer(kafka);
  await producer.connect();
  const consumer = createKafkaConsumer({ ...kafka, groupId: `shardex-engine-${config.shardId}` });
  await consumer.connect();
  const writeBuffer = createWriteBuffer({ db, maxBatchSize: config.writeBatchSize, flushIntervalMs: config.writeFlushMs, logger: log });
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
  });
  const server = createHttpServer(engine, createMetrics(engine, writeBuffer, config.shardId));
  await new Promise<void>((resolve) => server.listen(config.httpPort, config.httpHost, resolve));
  await engine.start();
  log.info({ port: config.httpPort, input: config.shard.kafkaInputTopic }, 'matching engine started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing the batch, flushing, committing, snapshotting');
    try {
      await engine.stop();
      await producer.disconnect();
      await db.destroy();
      server.close();
      log.info({}, 'stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`matching-engine: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
