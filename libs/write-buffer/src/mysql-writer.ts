import {
  isTransactionConflict,
  type Knex,
  ORDER_MUTABLE_COLUMNS,
  orderRecord,
  ORDERS_TABLE,
  type OrderRow,
  tradeRecord,
  TRADES_TABLE,
  type TradeRow,
} from '@shardex/db';
import { WriteBufferError } from './errors';
import type { BatchWriter } from './write-buffer';

export interface RetryOptions {
  /** Re-runs of a transaction after a deadlock (1213) or lock-wait timeout (1205). Default 3. */
  attempts?: number;
  /** First backoff, doubled per attempt, with jitter. Default 20 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface MysqlBatchWriterOptions {
  db: Knex;
  retry?: RetryOptions;
  /** Rows per INSERT statement inside a batch's transaction. Default 1000. */
  insertChunkSize?: number;
  /** Source of jitter (tests pass a fixed one). */
  random?: () => number;
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * The update half of the order upsert: each column changes only when the incoming version is newer, and `version`
 * itself is assigned last (MySQL evaluates the assignments left to right, so comparisons must see the old value).
 * VALUES() rather than MySQL 8's row alias: MariaDB has no alias syntax, and both accept VALUES().
 */
function versionedMerge(trx: Knex): Record<string, Knex.Raw> {
  const merge: Record<string, Knex.Raw> = {};
  for (const col of ORDER_MUTABLE_COLUMNS)
    merge[col] = trx.raw('IF(VALUES(??) > ??, VALUES(??), ??)', ['version', 'version', col, col]);
  merge['version'] = trx.raw('GREATEST(??, VALUES(??))', ['version', 'version']);
  return merge;
}

/** Writes a batch in one transaction: multi-row versioned upserts of orders, idempotent inserts of trades. */
export function createMysqlBatchWriter({
  db,
  retry: { attempts = 3, baseDelayMs = 20, maxDelayMs = 500 } = {},
  insertChunkSize = 1000,
  random = Math.random,
}: MysqlBatchWriterOptions): BatchWriter {
  if (!Number.isInteger(attempts) || attempts < 0)
    throw new WriteBufferError('WB_ERR_CONFIG', 'retry.attempts must be a non-negative integer');
  if (!Number.isInteger(insertChunkSize) || insertChunkSize < 1)
    throw new WriteBufferError('WB_ERR_CONFIG', 'insertChunkSize must be a positive integer');

  const write = (orders: readonly OrderRow[], trades: readonly TradeRow[]) =>
    db.transaction(async (trx) => {
      const statements: Array<PromiseLike<unknown>> = [];
      for (const chunk of chunks(orders.map(orderRecord), insertChunkSize)) {
        statements.push(trx(ORDERS_TABLE).insert(chunk).onConflict('order_id').merge(versionedMerge(trx)));
      }
      // A trade never changes: a replayed one is a no-op update of its key (not INSERT IGNORE, which would also
      // turn real errors such as truncation into warnings).
      for (const chunk of chunks(trades.map(tradeRecord), insertChunkSize)) {
        statements.push(trx(TRADES_TABLE).insert(chunk).onConflict('trade_id').merge(['trade_id']));
      }
      // Issued together, the statements queue on the transaction's one connection: the driver formats the next
      // while the server executes the previous. They still run in order, and any failure rolls back all of them.
      const results = await Promise.allSettled(statements.map((q) => Promise.resolve(q)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });

  return async (orders, trades) => {
    for (let retries = 0; ; retries++) {
      try {
        if (orders.length + trades.length > 0) await write(orders, trades);
        return { retries };
      } catch (err) {
        if (!isTransactionConflict(err) || retries >= attempts) throw err;
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** retries);
        await new Promise((r) => setTimeout(r, backoff / 2 + random() * (backoff / 2)));
      }
    }
  };
}
