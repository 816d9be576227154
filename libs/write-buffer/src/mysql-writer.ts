import {
  DEAD_LETTERS_TABLE,
  deadLetterRecord,
  type DeadLetterRow,
  isRowDataError,
  isTransactionConflict,
  type Knex,
  ORDER_IDENTITY_COLUMNS,
  ORDER_MUTABLE_COLUMNS,
  orderRecord,
  ORDERS_TABLE,
  type OrderRow,
  portableErrorCode,
  TRADE_IMMUTABLE_COLUMNS,
  tradeRecord,
  TRADES_TABLE,
  type TradeRow,
  type WriteFence,
} from '@shardex/db';
import { WriteBufferError } from './errors';
import type { BatchWriter, BatchWriteStats } from './write-buffer';

export interface RetryOptions {
  /** Re-runs of a transaction after a deadlock (1213) or lock-wait timeout (1205). Default 3. */
  attempts?: number;
  /** First backoff, doubled per attempt, with jitter. Default 20 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface MysqlBatchWriterOptions {
  db: Knex;
  /**
   * The shard's lease: checked first in every transaction, so a writer that lost the shard to another process
   * writes nothing (DB_ERR_FENCED, never retried). Its epoch is stored in each row's `writer_epoch`.
   */
  fence?: WriteFence;
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

/** `a <=> VALUES(a) AND …`: NULL-safe equality of the stored and the incoming row on `columns`. */
function sameAs(columns: readonly string[]): string {
  return columns.map((c) => `\`${c}\` <=> VALUES(\`${c}\`)`).join(' AND ');
}

/**
 * The update half of the order upsert. `identity_conflict` comes first and is 1 when the incoming row is another
 * order under the same id (the table's CHECK then refuses the statement); each mutable column changes only when the
 * incoming version is newer, and `version` itself is assigned last (MySQL evaluates the assignments left to right,
 * so comparisons must see the old value). VALUES() rather than MySQL 8's row alias: MariaDB has no alias syntax.
 */
function orderMerge(trx: Knex): Record<string, Knex.Raw> {
  const merge: Record<string, Knex.Raw> = {
    identity_conflict: trx.raw(`IF(${sameAs(ORDER_IDENTITY_COLUMNS)}, 0, 1)`),
  };
  for (const col of ORDER_MUTABLE_COLUMNS)
    merge[col] = trx.raw('IF(VALUES(??) > ??, VALUES(??), ??)', ['version', 'version', col, col]);
  merge['version'] = trx.raw('GREATEST(??, VALUES(??))', ['version', 'version']);
  return merge;
}

/** A trade never changes: a replay must bring exactly the stored row (else CHECK ck_trades_immutable refuses it). */
function tradeMerge(trx: Knex): Record<string, Knex.Raw> {
  return { identity_conflict: trx.raw(`IF(${sameAs(TRADE_IMMUTABLE_COLUMNS)}, 0, 1)`) };
}

interface Built {
  kind: 'order' | 'trade';
  key: string;
  version: number;
  shardId: string;
  row: OrderRow | TradeRow;
  record: Record<string, unknown>;
}

function deadLetter(b: Pick<Built, 'kind' | 'key' | 'version' | 'shardId' | 'row'>, err: unknown): DeadLetterRow {
  const e = err as { code?: unknown; errno?: unknown; sqlMessage?: unknown; message?: unknown; name?: unknown };
  return {
    shardId: b.shardId,
    kind: b.kind,
    rowKey: b.key,
    version: b.version,
    payload: JSON.stringify(b.row),
    errorCode: portableErrorCode(err) ?? String(e?.name ?? 'Error'),
    errno: typeof e?.errno === 'number' ? e.errno : null,
    message: String(e?.sqlMessage ?? e?.message ?? err),
  };
}

/** Thrown inside a probe transaction to roll it back after the statements succeeded. */
class ProbeOk extends Error {}

/**
 * Writes a batch in one transaction: the lease check, multi-row versioned upserts of orders, idempotent upserts of
 * trades. A row the database refuses for its content (a data error, a changed identity) or that cannot even be built
 * (a date outside DATETIME) would fail every retry and every replay alike, so it is found — by building each row,
 * then by bisecting the batch in transactions that are rolled back — and written to `write_dead_letters` in the same
 * transaction as the rest of the batch, which goes on. Anything else (connection, lock, lease) fails the batch.
 */
export function createMysqlBatchWriter({
  db,
  fence,
  retry: { attempts = 3, baseDelayMs = 20, maxDelayMs = 500 } = {},
  insertChunkSize = 1000,
  random = Math.random,
}: MysqlBatchWriterOptions): BatchWriter {
  if (!Number.isInteger(attempts) || attempts < 0)
    throw new WriteBufferError('WB_ERR_CONFIG', 'retry.attempts must be a non-negative integer');
  if (!Number.isInteger(insertChunkSize) || insertChunkSize < 1)
    throw new WriteBufferError('WB_ERR_CONFIG', 'insertChunkSize must be a positive integer');
  const epoch = fence?.epoch ?? 0;

  const statements = (trx: Knex.Transaction, rows: readonly Built[]): Array<PromiseLike<unknown>> => {
    const orders = rows.filter((b) => b.kind === 'order').map((b) => b.record);
    const trades = rows.filter((b) => b.kind === 'trade').map((b) => b.record);
    const out: Array<PromiseLike<unknown>> = [];
    for (const chunk of chunks(orders, insertChunkSize))
      out.push(trx(ORDERS_TABLE).insert(chunk).onConflict('order_id').merge(orderMerge(trx)));
    for (const chunk of chunks(trades, insertChunkSize))
      out.push(trx(TRADES_TABLE).insert(chunk).onConflict('trade_id').merge(tradeMerge(trx)));
    return out;
  };

  /** Issued together, the statements queue on the transaction's one connection; any failure rolls back all. */
  const runAll = async (list: Array<PromiseLike<unknown>>) => {
    const results = await Promise.allSettled(list.map((q) => Promise.resolve(q)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  const commit = (rows: readonly Built[], dead: readonly DeadLetterRow[]) =>
    db.transaction(async (trx) => {
      const list = statements(trx, rows);
      for (const chunk of chunks(dead.map(deadLetterRecord), insertChunkSize))
        list.push(
          trx(DEAD_LETTERS_TABLE).insert(chunk).onConflict(['kind', 'row_key', 'version']).merge(['error_code']),
        );
      await runAll(list);
      // Last, right before the commit: the lease row's shared lock, which a takeover waits for, is held briefly.
      if (fence) await fence.assert(trx);
    });

  /** Whether the rows would be accepted: run them in a transaction that is always rolled back. */
  const probe = async (rows: readonly Built[]): Promise<unknown> => {
    try {
      await db.transaction(async (trx) => {
        await runAll(statements(trx, rows));
        throw new ProbeOk();
      });
    } catch (err) {
      if (err instanceof ProbeOk) return undefined;
      return err;
    }
    return undefined;
  };

  /** The rows the server refuses for their content, found by halving; other errors end the search (rethrown). */
  const refused = async (rows: readonly Built[], known?: unknown): Promise<Map<Built, unknown>> => {
    const err = known ?? (await probe(rows));
    if (err === undefined) return new Map();
    if (!isRowDataError(err)) throw err;
    if (rows.length === 1) return new Map([[rows[0] as Built, err]]);
    const mid = rows.length >> 1;
    const left = await refused(rows.slice(0, mid));
    const right = await refused(rows.slice(mid));
    return new Map([...left, ...right]);
  };

  const write = async (orders: readonly OrderRow[], trades: readonly TradeRow[]): Promise<DeadLetterRow[]> => {
    const good: Built[] = [];
    const dead: DeadLetterRow[] = [];
    const build = (kind: 'order' | 'trade', key: string, version: number, row: OrderRow | TradeRow) => {
      const b = { kind, key, version, shardId: row.shardId, row };
      try {
        good.push({
          ...b,
          record: kind === 'order' ? orderRecord(row as OrderRow, epoch) : tradeRecord(row as TradeRow, epoch),
        });
      } catch (err) {
        dead.push(deadLetter(b, err));
      }
    };
    for (const o of orders) build('order', o.orderId, o.version, o);
    for (const t of trades) build('trade', t.tradeId, t.seq, t);
    try {
      await commit(good, dead);
      return dead;
    } catch (err) {
      if (!isRowDataError(err)) throw err;
      const bad = await refused(good, good.length === 1 ? err : undefined);
      if (bad.size === 0) throw err; // refused as a batch, accepted row by row: not a row's fault
      for (const [b, why] of bad) dead.push(deadLetter(b, why));
      await commit(
        good.filter((b) => !bad.has(b)),
        dead,
      );
      return dead;
    }
  };

  return async (orders, trades): Promise<BatchWriteStats> => {
    for (let retries = 0; ; retries++) {
      try {
        const deadLettered = orders.length + trades.length > 0 ? await write(orders, trades) : [];
        return { retries, deadLettered };
      } catch (err) {
        if (!isTransactionConflict(err) || retries >= attempts) throw err;
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** retries);
        await new Promise((r) => setTimeout(r, backoff / 2 + random() * (backoff / 2)));
      }
    }
  };
}
