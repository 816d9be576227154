import pino from 'pino';
import { startShard } from './app';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'matching-engine', shardId: config.shardId } });
  const shard = await startShard(config, log, (err) => {
    // The book is ahead of what is durable: exit, and let the restart replay from the last snapshot.
    log.fatal({ err }, 'fatal: exiting for a replay from the last snapshot');
    process.exit(1);
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing the batch, flushing, committing, snapshotting');
    try {
      await shard.stop();
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
