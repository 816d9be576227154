import { CodedError, type Logger, silentLogger } from '@shardex/contracts';
import type { DeadLetterRow, OrderRow, TradeRow } from '@shardex/db';
import { WriteBufferError } from './errors';

/** Writes one batch atomically (all rows or none) and is idempotent: the port the buffer drives. */
export type BatchWriter = (orders: readonly OrderRow[], trades: readonly TradeRow[]) => Promise<BatchWriteStats>;

export interface BatchWriteStats {
  /** Transaction attempts that were retried after a deadlock or lock-wait timeout. */
  retries: number;
  /** Rows the database refused for their content, stored in `write_dead_letters` instead (the rest was written). */
  deadLettered: readonly DeadLetterRow[];
}

export type { Logger } from '@shardex/contracts';

export interface FlushInfo {
  orders: number;
  trades: number;
  durationMs: number;
  /** Every row added up to and including this mark is now written (see `mark()`). */
  writtenThrough: number;
}

export interface WriteBufferMetrics {
  flushCount: number;
  /** Rows written by successful flushes (orders + trades, after de-duplication). */
  totalFlushed: number;
  totalFlushTimeMs: number;
  avgFlushTimeMs: number;
  lastFlushTimeMs: number;
  lastFlushSize: number;
  /** Transactions re-run after a deadlock or lock-wait timeout. */
  retries: number;
  /** Rows written to `write_dead_letters` because the database refused their content. */
  deadLettered: number;
  /** Flushes that failed and left their rows buffered for the next attempt. */
  failedFlushes: number;
  consecutiveFailures: number;
  /** Rows not yet written: waiting plus in flight. */
  buffered: number;
  lastError: { message: string; code?: string; errno?: number } | null;
  /** Set once a flush failed in a way retrying cannot mend (e.g. the writer was fenced); the buffer then refuses everything. */
  failed: { message: string; code?: string } | null;
}

export interface WriteBuffer {
  /** Buffers an order's latest state. Resolves at once, or — when the buffer is full — once there is room. */
  addOrder(row: OrderRow): Promise<void>;
  addTrade(row: TradeRow): Promise<void>;
  add(order: OrderRow, trade?: TradeRow): Promise<void>;
  /** Writes everything buffered so far; rejects (rows kept) if the database fails. */
  flush(): Promise<void>;
  /** A mark for "everything added so far"; `flushed(mark)` resolves when all of it is written. */
  mark(): number;
  flushed(mark: number): Promise<void>;
  isFull(): boolean;
  /** Rows buffered and not yet written (waiting plus in flight). */
  size(): number;
  getMetrics(): WriteBufferMetrics;
  /** Called after each successful flush; returns an unsubscribe function. */
  onFlush(listener: (info: FlushInfo) => void): () => void;
  /** Stops taking rows and resolves once every buffered row is written (retrying through outages). */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Stops at once and drops what is buffered: for an owner that will replay those rows from its own durable
   * source (the engine restarting from its last snapshot). A flush already running may still complete.
   */
  abandon(reason: Error): void;
}

export interface WriteBufferCoreOptions {
  writer: BatchWriter;
  /** Rows per flush (one transaction); a flush starts as soon as this many are waiting. Default 100. */
  maxBatchSize?: number;
  /** A flush starts at the latest this long after the first row of a batch was added, ms. Default 500. */
  flushIntervalMs?: number;
  /** Rows buffered at most; `add` then waits (or rejects, see `whenFull`). Default 10,000. */
  maxBufferedRows?: number;
  /** What `add` does when the buffer is full: wait for room (default) or reject with WB_ERR_BUFFER_FULL. */
  whenFull?: 'wait' | 'reject';
  /** After a failed flush, the next attempt waits flushIntervalMs doubling up to this, ms. Default 5,000. */
  maxRetryDelayMs?: number;
  logger?: Logger;
}

interface Entry<R> {
  row: R;
  /** The add-sequence of the oldest update of this key not yet written. */
  seq: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new WriteBufferError('WB_ERR_CONFIG', `${name} must be a positive integer, got ${v}`);
  return v;
}

function checkOrder(row: OrderRow): void {
  if (typeof row?.orderId !== 'string' || row.orderId.length === 0 || row.orderId.length > 64) {
    throw new WriteBufferError('WB_ERR_INVALID_ROW', 'order row needs an orderId of 1-64 characters');
  }
  if (!Number.isSafeInteger(row.version) || row.version < 0) {
    throw new WriteBufferError('WB_ERR_INVALID_ROW', `order ${row.orderId}: version must be a non-negative integer`);
  }
}

function checkTrade(row: TradeRow): void {
  if (typeof row?.tradeId !== 'string' || row.tradeId.length === 0 || row.tradeId.length > 80) {
    throw new WriteBufferError('WB_ERR_INVALID_ROW', 'trade row needs a tradeId of 1-80 characters');
  }
  if (!Number.isSafeInteger(row.seq) || row.seq < 0) {
    throw new WriteBufferError('WB_ERR_INVALID_ROW', `trade ${row.tradeId}: seq must be a non-negative integer`);
  }
}

/**
 * The buffer's logic over a `BatchWriter` port: batching by size and time, de-duplication by key (the newest
 * version of an order wins), one flush in flight, failed batches kept and retried, backpressure, and marks that
 * tell the caller when its rows are durable (the engine commits Kafka offsets on them).
 */
export function createWriteBufferCore({
  writer,
  maxBatchSize = 100,
  flushIntervalMs = 500,
  maxBufferedRows = 10_000,
  whenFull = 'wait',
  maxRetryDelayMs = 5_000,
  logger = silentLogger,
}: WriteBufferCoreOptions): WriteBuffer {
  positiveInt('maxBatchSize', maxBatchSize);
  positiveInt('flushIntervalMs', flushIntervalMs);
  positiveInt('maxBufferedRows', maxBufferedRows);
  positiveInt('maxRetryDelayMs', maxRetryDelayMs);
  if (maxBufferedRows < maxBatchSize) {
    throw new WriteBufferError(
      'WB_ERR_CONFIG',
      `maxBufferedRows (${maxBufferedRows}) must be at least maxBatchSize (${maxBatchSize})`,
    );
  }
  if (whenFull !== 'wait' && whenFull !== 'reject')
    throw new WriteBufferError('WB_ERR_CONFIG', 'whenFull must be "wait" or "reject"');

  const orders = new Map<string, Entry<OrderRow>>();
  const trades = new Map<string, Entry<TradeRow>>();
  let inFlight: { orders: Map<string, Entry<OrderRow>>; trades: Map<string, Entry<TradeRow>> } | null = null;
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let addSeq = 0;
  let closed = false;
  const roomWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const markWaiters: Array<{ mark: number; resolve: () => void; reject: (e: Error) => void }> = [];
  const listeners = new Set<(info: FlushInfo) => void>();
  const m: WriteBufferMetrics = {
    flushCount: 0,
    totalFlushed: 0,
    totalFlushTimeMs: 0,
    avgFlushTimeMs: 0,
    lastFlushTimeMs: 0,
    lastFlushSize: 0,
    retries: 0,
    deadLettered: 0,
    failedFlushes: 0,
    consecutiveFailures: 0,
    buffered: 0,
    lastError: null,
    failed: null,
  };
  /** The error that ended the buffer (a non-retriable flush failure, or abandon()). */
  let broken: Error | null = null;

  const waiting = () => orders.size + trades.size;
  const buffered = () => waiting() + (inFlight ? inFlight.orders.size + inFlight.trades.size : 0);

  /** The add-sequence below which everything is written. */
  function writtenThrough(): number {
    let min = Infinity;
    for (const map of [orders, trades, inFlight?.orders, inFlight?.trades]) {
      if (map) for (const e of map.values()) if (e.seq < min) min = e.seq;
    }
    return min === Infinity ? addSeq : min - 1;
  }

  /** After `failures` failed flushes in a row: flushIntervalMs doubling per failure, capped at maxRetryDelayMs. */
  function retryDelay(failures: number): number {
    return Math.min(maxRetryDelayMs, flushIntervalMs * 2 ** Math.min(failures - 1, 16));
  }

  function schedule(delayMs: number): void {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      runFlush(false).catch(() => undefined); // failures are recorded and rescheduled inside
    }, delayMs);
  }

  function afterAdd(): void {
    if (waiting() >= maxBatchSize) {
      if (!flushing) runFlush(false).catch(() => undefined);
    } else {
      schedule(flushIntervalMs);
    }
  }

  function releaseRoom(): void {
    for (let free = maxBufferedRows - buffered(); free > 0 && roomWaiters.length > 0; free--)
      roomWaiters.shift()?.resolve();
  }

  function releaseMarks(): void {
    const through = writtenThrough();
    for (let i = markWaiters.length - 1; i >= 0; i--) {
      const w = markWaiters[i];
      if (w && w.mark <= through) {
        markWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  function take<R>(from: Map<string, Entry<R>>, into: Map<string, Entry<R>>, limit: number): void {
    for (const [key, entry] of from) {
      if (into.size >= limit) break;
      into.set(key, entry);
      from.delete(key);
    }
  }

  /** Puts a failed batch back, under any newer update of the same key that arrived meanwhile. */
  function restore<R>(failed: Map<string, Entry<R>>, into: Map<string, Entry<R>>): void {
    for (const [key, entry] of failed) {
      const newer = into.get(key);
      if (newer) newer.seq = Math.min(newer.seq, entry.seq);
      else into.set(key, entry);
    }
  }

  /** Ends the buffer: no more flushes, adds and flushes reject with `reason`, waiting producers are released. */
  function fail(reason: Error): void {
    if (broken) return;
    broken = reason;
    closed = true;
    m.failed = { message: reason.message, code: (reason as { code?: string }).code };
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    for (const w of roomWaiters.splice(0))
      w.reject(new WriteBufferError('WB_ERR_FAILED', reason.message, { cause: reason }));
    // Rows behind a mark may never be written by this buffer now: their waiters hear so rather than wait forever.
    for (const w of markWaiters.splice(0))
      w.reject(new WriteBufferError('WB_ERR_FAILED', reason.message, { cause: reason }));
  }

  const failedError = () =>
    new WriteBufferError('WB_ERR_FAILED', `write buffer stopped: ${broken?.message ?? 'unknown'}`, { cause: broken });

  /** One transaction of up to maxBatchSize rows. `throwOnFailure` for callers that wait on the outcome. */
  async function runFlush(throwOnFailure: boolean): Promise<void> {
    if (broken) {
      if (throwOnFailure) throw failedError();
      return;
    }
    if (flushing) return flushing;
    if (waiting() === 0) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = { orders: new Map<string, Entry<OrderRow>>(), trades: new Map<string, Entry<TradeRow>>() };
    // Trades get at least half of a full batch, so a flood of order updates cannot starve them (nor they it).
    const tradeShare = Math.min(trades.size, Math.max(maxBatchSize - orders.size, Math.floor(maxBatchSize / 2)));
    take(orders, batch.orders, maxBatchSize - tradeShare);
    take(trades, batch.trades, maxBatchSize - batch.orders.size);
    inFlight = batch;
    const started = performance.now();
    const attempt = (async () => {
      try {
        const stats = await writer(
          [...batch.orders.values()].map((e) => e.row),
          [...batch.trades.values()].map((e) => e.row),
        );
        const durationMs = performance.now() - started;
        const size = batch.orders.size + batch.trades.size;
        inFlight = null;
        m.flushCount++;
        m.totalFlushed += size;
        m.totalFlushTimeMs += durationMs;
        m.avgFlushTimeMs = m.totalFlushTimeMs / m.flushCount;
        m.lastFlushTimeMs = durationMs;
        m.lastFlushSize = size;
        m.retries += stats.retries;
        m.consecutiveFailures = 0;
        if (stats.deadLettered.length > 0) {
          m.deadLettered += stats.deadLettered.length;
          logger.error(
            {
              deadLettered: stats.deadLettered.map((d) => ({
                kind: d.kind,
                key: d.rowKey,
                version: d.version,
                errorCode: d.errorCode,
                message: d.message,
              })),
            },
            'write-buffer: the database refused rows for their content; they are in write_dead_letters and the rest was written',
          );
        }
        const info: FlushInfo = {
          orders: batch.orders.size,
          trades: batch.trades.size,
          durationMs,
          writtenThrough: writtenThrough(),
        };
        for (const l of listeners) {
          try {
            l(info);
          } catch (err) {
            logger.error({ err }, 'write-buffer flush listener threw');
          }
        }
      } catch (err) {
        inFlight = null;
        restore(batch.orders, orders);
        restore(batch.trades, trades);
        m.failedFlushes++;
        m.consecutiveFailures++;
        const e = err as { message?: string; code?: string; errno?: number };
        m.lastError = { message: String(e?.message ?? err), code: e?.code, errno: e?.errno };
        if (err instanceof CodedError && !err.retriable) {
          // Retrying cannot mend it (the writer was fenced, say): stop, and tell everyone who waits.
          fail(err);
          logger.error(
            { err, rows: batch.orders.size + batch.trades.size },
            'write-buffer stopped: flush failed for good',
          );
          throw new WriteBufferError('WB_ERR_FAILED', `flush failed for good: ${m.lastError.message}`, { cause: err });
        }
        const delay = retryDelay(m.consecutiveFailures);
        logger.error(
          { err, rows: batch.orders.size + batch.trades.size, buffered: buffered(), retryInMs: delay },
          'write-buffer flush failed; rows kept for the next attempt',
        );
        throw new WriteBufferError(
          'WB_ERR_FLUSH',
          `flush of ${batch.orders.size + batch.trades.size} rows failed: ${m.lastError.message}`,
          { retriable: true, cause: err },
        );
      } finally {
        flushing = null;
        releaseRoom();
        releaseMarks();
        if (waiting() > 0 && !broken) {
          if (m.consecutiveFailures > 0) schedule(retryDelay(m.consecutiveFailures));
          else if (waiting() >= maxBatchSize) setImmediate(() => runFlush(false).catch(() => undefined));
          else schedule(flushIntervalMs);
        }
      }
    })();
    flushing = attempt;
    if (!throwOnFailure) attempt.catch(() => undefined);
    return attempt;
  }

  /** Waits until a flush frees room; the caller re-checks, so several waiters never overshoot the bound. */
  function waitForRoom(): Promise<void> {
    if (whenFull === 'reject') {
      return Promise.reject(
        new WriteBufferError('WB_ERR_BUFFER_FULL', `${buffered()} rows buffered (maxBufferedRows ${maxBufferedRows})`, {
          retriable: true,
        }),
      );
    }
    // Make sure something is on its way to free room.
    if (!flushing) runFlush(false).catch(() => undefined);
    return new Promise<void>((resolve, reject) => roomWaiters.push({ resolve, reject }));
  }

  /** Resolved once, shared: the common case (room to spare) allocates no promise per row. */
  const DONE = Promise.resolve();

  function insert<R>(map: Map<string, Entry<R>>, key: string, row: R, newer: (a: R, b: R) => boolean): void {
    const existing = map.get(key);
    addSeq++;
    if (existing) {
      if (newer(row, existing.row)) existing.row = row;
      return;
    }
    map.set(key, { row, seq: addSeq });
    afterAdd();
  }

  function put<R>(map: Map<string, Entry<R>>, key: string, row: R, newer: (a: R, b: R) => boolean): Promise<void> {
    if (broken) return Promise.reject(failedError());
    if (closed) return Promise.reject(new WriteBufferError('WB_ERR_CLOSED', 'write buffer is closed'));
    // A key already waiting is replaced in place and takes no room. The newest state wins, whatever the arrival order.
    if (map.has(key) || buffered() < maxBufferedRows) {
      insert(map, key, row, newer);
      return DONE;
    }
    return waitForRoom().then(() => put(map, key, row, newer));
  }

  const newerOrder = (a: OrderRow, b: OrderRow) => a.version >= b.version;
  const anyTrade = () => false; // trades never change: the first copy is the copy

  const api: WriteBuffer = {
    addOrder(row) {
      try {
        checkOrder(row);
      } catch (err) {
        return Promise.reject(err);
      }
      return put(orders, row.orderId, row, newerOrder);
    },
    addTrade(row) {
      try {
        checkTrade(row);
      } catch (err) {
        return Promise.reject(err);
      }
      return put(trades, row.tradeId, row, anyTrade);
    },
    add(order, trade) {
      const first = api.addOrder(order);
      if (!trade) return first;
      return first === DONE ? api.addTrade(trade) : first.then(() => api.addTrade(trade));
    },
    async flush() {
      const target = addSeq;
      for (;;) {
        if (broken) throw failedError();
        if (flushing) {
          await flushing.catch(() => undefined);
          continue;
        }
        if (writtenThrough() >= target) return;
        await runFlush(true);
      }
    },
    mark: () => addSeq,
    flushed(mark) {
      if (writtenThrough() >= mark) return Promise.resolve();
      if (broken) return Promise.reject(failedError());
      return new Promise((resolve, reject) => markWaiters.push({ mark, resolve, reject }));
    },
    isFull: () => buffered() >= maxBufferedRows,
    size: buffered,
    getMetrics: () => ({
      ...m,
      buffered: buffered(),
      lastError: m.lastError && { ...m.lastError },
      failed: m.failed && { ...m.failed },
    }),
    onFlush(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close({ timeoutMs }: { timeoutMs?: number } = {}) {
      closed = true;
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      for (const w of roomWaiters.splice(0))
        w.reject(new WriteBufferError('WB_ERR_CLOSED', 'write buffer closed while waiting for room'));
      const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
      let failures = 0;
      for (;;) {
        try {
          await api.flush();
          if (buffered() === 0) return;
        } catch (err) {
          if (broken) throw err;
          failures++;
          if (performance.now() >= deadline) {
            throw new WriteBufferError(
              'WB_ERR_CLOSE_TIMEOUT',
              `${buffered()} rows still buffered after ${timeoutMs} ms`,
              { retriable: true },
            );
          }
          const delay = Math.min(retryDelay(failures), deadline - performance.now());
          await new Promise((r) => setTimeout(r, Math.max(0, delay)));
        }
      }
    },
    abandon(reason) {
      fail(reason);
      orders.clear();
      trades.clear();
    },
  };
  return api;
}
