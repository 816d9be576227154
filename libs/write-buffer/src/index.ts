import type { Knex, WriteFence } from '@shardex/db';
import { createMysqlBatchWriter, type RetryOptions } from './mysql-writer';
import { createWriteBufferCore, type Logger, type WriteBuffer, type WriteBufferCoreOptions } from './write-buffer';

export interface WriteBufferOptions extends Omit<WriteBufferCoreOptions, 'writer'> {
  db: Knex;
  /** The shard's lease, checked in every flush's transaction (see MysqlBatchWriterOptions.fence). */
  fence?: WriteFence;
  retry?: RetryOptions;
  /** Rows per INSERT statement inside a flush. Default 1000. */
  insertChunkSize?: number;
}

/** Batched writer of orders and trades for one shard (libs/write-buffer/README.md lists the guarantees). */
export function createWriteBuffer({ db, fence, retry, insertChunkSize, ...options }: WriteBufferOptions): WriteBuffer {
  return createWriteBufferCore({ ...options, writer: createMysqlBatchWriter({ db, fence, retry, insertChunkSize }) });
}

/**
 * The same interface, one transaction per row, each add resolving once its row is written: the per-row baseline
 * of the benchmarks (a shard runs it with WRITE_BUFFER=sync), and handy in tests that want every row on disk at once.
 * With a `fence` every row's transaction checks the shard's lease and records its epoch, exactly as a batched flush
 * does: the baseline differs in batching only, not in what it guarantees.
 */
export function createSyncWriteBuffer({
  db,
  fence,
  retry,
  logger,
}: {
  db: Knex;
  fence?: WriteFence;
  retry?: RetryOptions;
  logger?: Logger;
}): WriteBuffer {
  const core = createWriteBufferCore({
    writer: createMysqlBatchWriter({ db, fence, retry }),
    maxBatchSize: 1,
    flushIntervalMs: 1,
    maxBufferedRows: 1,
    logger,
  });
  const written = async (added: Promise<void>) => {
    await added;
    await core.flush();
  };
  return {
    ...core,
    addOrder: (row) => written(core.addOrder(row)),
    addTrade: (row) => written(core.addTrade(row)),
    async add(order, trade) {
      await written(core.addOrder(order));
      if (trade) await written(core.addTrade(trade));
    },
  };
}

export { createWriteBufferCore } from './write-buffer';
export type {
  BatchWriter,
  BatchWriteStats,
  FlushInfo,
  Logger,
  WriteBuffer,
  WriteBufferCoreOptions,
  WriteBufferMetrics,
} from './write-buffer';
export { createMysqlBatchWriter } from './mysql-writer';
export type { MysqlBatchWriterOptions, RetryOptions } from './mysql-writer';
export { WRITE_BUFFER_ERROR_CODES, WriteBufferError } from './errors';
export type { WriteBufferErrorCode } from './errors';
