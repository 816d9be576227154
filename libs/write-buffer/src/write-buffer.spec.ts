import { CodedError } from '@shardex/contracts';
import type { DeadLetterRow, OrderRow, TradeRow } from '@shardex/db';
import { order, trade } from './testing';
import { type BatchWriter, createWriteBufferCore } from './write-buffer';
import { WRITE_BUFFER_ERROR_CODES } from './errors';

// The buffer's logic over an in-memory fake of its BatchWriter port; the real MySQL path is in *.int-spec.ts.

/** A fake writer: records batches; can be held (to model a slow flush) or made to fail. */
function fakeWriter() {
  const batches: Array<{ orders: OrderRow[]; trades: TradeRow[] }> = [];
  let hold: Promise<void> | null = null;
  let release: () => void = () => undefined;
  let failNext = 0;
  let fatal: Error | null = null;
  let deadLetterNext: DeadLetterRow[] = [];
  let calls = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const writer: BatchWriter = async (orders, trades) => {
    concurrent++;
    calls++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    try {
      if (hold) await hold;
      if (fatal) throw fatal;
      if (failNext > 0) {
        failNext--;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
      }
      batches.push({ orders: [...orders], trades: [...trades] });
      const deadLettered = deadLetterNext;
      deadLetterNext = [];
      return { retries: 0, deadLettered };
    } finally {
      concurrent--;
    }
  };
  return {
    writer,
    batches,
    rows: () =>
      batches.flatMap((b) => [...b.orders.map((o) => `${o.orderId}@${o.version}`), ...b.trades.map((t) => t.tradeId)]),
    hold() {
      hold = new Promise((r) => (release = r));
    },
    release() {
      hold = null;
      release();
    },
    failNext(n: number) {
      failNext = n;
    },
    failForGood(err: Error) {
      fatal = err;
    },
    deadLetterNext(rows: DeadLetterRow[]) {
      deadLetterNext = rows;
    },
    calls: () => calls,
    maxConcurrent: () => maxConcurrent,
  };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('write buffer (logic)', () => {
  it('flushes when a batch reaches maxBatchSize', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 3, flushIntervalMs: 60_000 });
    await wb.addOrder(order('a', 1));
    await wb.addOrder(order('b', 1));
    await tick();
    expect(f.batches).toHaveLength(0);
    await wb.addTrade(trade('t1', 3));
    await tick();
    expect(f.rows()).toEqual(['a@1', 'b@1', 't1']);
    await wb.close();
  });

  it('flushes flushIntervalMs after the first row of a batch', async () => {
    // Fake timers: on a loaded machine real ones fire late, and this is about which timer, not how fast.
    jest.useFakeTimers();
    try {
      const f = fakeWriter();
      const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 40 });
      await wb.addOrder(order('a', 1));
      await jest.advanceTimersByTimeAsync(10);
      await wb.addOrder(order('b', 1));
      await jest.advanceTimersByTimeAsync(29);
      expect(f.batches).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(f.rows()).toEqual(['a@1', 'b@1']);
      const closed = wb.close();
      await jest.runAllTimersAsync();
      await closed;
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps only the newest state of an order, whatever the arrival order', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 60_000 });
    for (const v of [1, 2, 5, 3, 4]) await wb.addOrder(order('a', v));
    await wb.addTrade(trade('t', 1));
    await wb.addTrade(trade('t', 1));
    expect(wb.size()).toBe(2);
    await wb.flush();
    expect(f.rows()).toEqual(['a@5', 't']);
    expect(wb.getMetrics()).toMatchObject({ flushCount: 1, totalFlushed: 2, buffered: 0 });
  });

  it('runs one flush at a time; rows added meanwhile go to the next batch', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 2, flushIntervalMs: 60_000 });
    f.hold();
    await wb.addOrder(order('a', 1));
    await wb.addOrder(order('b', 1)); // starts a flush, held
    await wb.addOrder(order('a', 2)); // same key as in flight: a new row for the next batch
    await wb.addOrder(order('c', 1));
    await tick();
    expect(wb.size()).toBe(4);
    f.release();
    await wb.flush();
    expect(f.batches.map((b) => b.orders.map((o) => `${o.orderId}@${o.version}`))).toEqual([
      ['a@1', 'b@1'],
      ['a@2', 'c@1'],
    ]);
    expect(f.maxConcurrent()).toBe(1);
  });

  it('keeps every row of a failed flush, under newer updates, and writes them on a later flush', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 10, flushIntervalMs: 10, maxRetryDelayMs: 20 });
    f.failNext(2);
    await wb.addOrder(order('a', 1));
    await wb.addOrder(order('b', 1));
    await expect(wb.flush()).rejects.toMatchObject({ code: 'WB_ERR_FLUSH', retriable: true });
    await wb.addOrder(order('a', 2));
    expect(wb.getMetrics()).toMatchObject({ failedFlushes: 1, buffered: 2, lastError: { code: 'ECONNREFUSED' } });
    await tick(60); // the retry timer fails once more, then succeeds
    await wb.flush();
    expect(f.rows().sort()).toEqual(['a@2', 'b@1']);
    expect(wb.getMetrics()).toMatchObject({ failedFlushes: 2, consecutiveFailures: 0, buffered: 0 });
  });

  it('makes add wait for room when full, so buffered rows stay bounded', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({
      writer: f.writer,
      maxBatchSize: 5,
      flushIntervalMs: 60_000,
      maxBufferedRows: 5,
    });
    f.hold();
    for (let i = 0; i < 5; i++) await wb.addOrder(order(`o${i}`, 1));
    let sixth = false;
    const pending = wb.addOrder(order('o5', 1)).then(() => (sixth = true));
    await tick(20);
    expect(sixth).toBe(false);
    expect(wb.isFull()).toBe(true);
    expect(wb.size()).toBe(5);
    // An update of a row already waiting takes no room, so it never blocks.
    f.release();
    await pending;
    expect(sixth).toBe(true);
    expect(wb.size()).toBeLessThanOrEqual(5);
    await wb.close();
    expect(f.rows()).toHaveLength(6);
  });

  it('never overshoots the bound when many producers wait at once', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 4, flushIntervalMs: 5, maxBufferedRows: 8 });
    f.hold();
    let peak = 0;
    const adds = Array.from({ length: 60 }, (_, i) =>
      wb.addOrder(order(`c${i}`, 1)).then(() => (peak = Math.max(peak, wb.size()))),
    );
    await tick(10);
    expect(wb.size()).toBe(8);
    f.release();
    await Promise.all(adds);
    await wb.close();
    expect(peak).toBeLessThanOrEqual(8);
    expect(new Set(f.rows()).size).toBe(60);
  });

  it('rejects with WB_ERR_BUFFER_FULL when configured to', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({
      writer: f.writer,
      maxBatchSize: 2,
      flushIntervalMs: 60_000,
      maxBufferedRows: 2,
      whenFull: 'reject',
    });
    f.hold();
    await wb.addOrder(order('a', 1));
    await wb.addOrder(order('b', 1));
    await expect(wb.addOrder(order('c', 1))).rejects.toMatchObject({ code: 'WB_ERR_BUFFER_FULL' });
    f.release();
    await wb.close();
  });

  it('resolves a mark only once every row added before it is written', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 30 });
    await wb.addOrder(order('a', 1));
    const mark = wb.mark();
    await wb.addOrder(order('b', 1));
    let done = false;
    const flushed = wb.flushed(mark).then(() => (done = true));
    await tick(5);
    expect(done).toBe(false);
    await flushed;
    expect(f.rows()).toEqual(['a@1', 'b@1']);
    await expect(wb.flushed(wb.mark())).resolves.toBeUndefined();
  });

  it('does not let a flood of order updates starve trades', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({
      writer: f.writer,
      maxBatchSize: 4,
      flushIntervalMs: 60_000,
      maxBufferedRows: 100,
    });
    f.hold();
    await wb.addOrder(order('x', 1)); // in flight first, held
    for (let i = 0; i < 3; i++) await wb.addOrder(order(`x${i}`, 1));
    for (let i = 0; i < 10; i++) await wb.addOrder(order(`o${i}`, 1));
    await wb.addTrade(trade('t1', 1));
    await wb.addTrade(trade('t2', 2));
    f.release();
    await tick(5);
    expect(f.batches[1]?.trades.map((t) => t.tradeId)).toEqual(['t1', 't2']);
    await wb.close();
  });

  it('on close writes everything and then refuses rows', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 60_000 });
    await wb.add(order('a', 1), trade('t', 1));
    await wb.close();
    expect(f.rows()).toEqual(['a@1', 't']);
    await expect(wb.addOrder(order('b', 1))).rejects.toMatchObject({ code: 'WB_ERR_CLOSED' });
  });

  it('gives up closing after timeoutMs when the database stays away, keeping the rows', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 5, maxRetryDelayMs: 10 });
    f.failNext(1_000);
    await wb.addOrder(order('a', 1));
    await expect(wb.close({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'WB_ERR_CLOSE_TIMEOUT' });
    expect(wb.size()).toBe(1);
  });

  it('refuses malformed rows and impossible options with coded errors', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer });
    await expect(wb.addOrder(order('', 1))).rejects.toMatchObject({ code: 'WB_ERR_INVALID_ROW' });
    await expect(wb.addOrder(order('a', -1))).rejects.toMatchObject({ code: 'WB_ERR_INVALID_ROW' });
    await expect(wb.addOrder(order('a', 1.5))).rejects.toMatchObject({ code: 'WB_ERR_INVALID_ROW' });
    await expect(wb.addTrade({ ...trade('t', 1), tradeId: 'x'.repeat(81) })).rejects.toMatchObject({
      code: 'WB_ERR_INVALID_ROW',
    });
    expect(() => createWriteBufferCore({ writer: f.writer, maxBatchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'WB_ERR_CONFIG' }),
    );
    expect(() => createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, maxBufferedRows: 10 })).toThrow(
      expect.objectContaining({ code: 'WB_ERR_CONFIG' }),
    );
    await wb.close();
  });

  it('stops for good on a failure retrying cannot mend, and tells every waiter', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 5, maxRetryDelayMs: 10 });
    await wb.addOrder(order('a', 1));
    const mark = wb.flushed(wb.mark());
    f.failForGood(new CodedError('DB_ERR_FENCED', 'the lease moved on'));
    await expect(wb.flush()).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
    await expect(mark).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
    await expect(wb.addOrder(order('b', 1))).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
    await expect(wb.flush()).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
    const calls = f.calls();
    await tick(50);
    expect(f.calls()).toBe(calls); // no retries in the background
    expect(wb.getMetrics().failed).toMatchObject({ code: 'DB_ERR_FENCED' });
    await expect(wb.close()).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
  });

  it('abandon drops what is buffered and writes nothing more', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 20 });
    await wb.addOrder(order('a', 1));
    const mark = wb.flushed(wb.mark());
    wb.abandon(new Error('replaying from the last snapshot'));
    await expect(mark).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
    await tick(60);
    expect(f.calls()).toBe(0);
    expect(wb.size()).toBe(0);
    await expect(wb.addOrder(order('b', 1))).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
  });

  it('counts the rows the writer dead-lettered', async () => {
    const f = fakeWriter();
    const wb = createWriteBufferCore({ writer: f.writer, maxBatchSize: 100, flushIntervalMs: 5 });
    f.deadLetterNext([
      {
        shardId: 'shard-1',
        kind: 'order',
        rowKey: 'a',
        version: 1,
        payload: '{}',
        errorCode: 'ER_CONSTRAINT_FAILED',
        errno: 4025,
        message: 'CONSTRAINT failed',
      },
    ]);
    await wb.addOrder(order('a', 1));
    await wb.flush();
    expect(wb.getMetrics().deadLettered).toBe(1);
    await wb.close();
  });

  it('documents every error code', () => {
    for (const doc of Object.values(WRITE_BUFFER_ERROR_CODES)) expect(doc.length).toBeGreaterThan(15);
  });
});
