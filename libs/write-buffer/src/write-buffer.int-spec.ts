import { createDb, createLeaseStore, type Knex, migrateLatest, orderRecord } from '@shardex/db';
import {
  connectTestMysql,
  createTcpProxy,
  createTestDatabase,
  getTestInfra,
  type TcpProxy,
  type TestDatabase,
} from '@shardex/testing';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { createSyncWriteBuffer, createWriteBuffer, type FlushInfo, type WriteBuffer } from './index';
import { order, trade } from './testing';

// Everything here runs against a real MySQL/MariaDB: the buffer's SQL, transactions, a forced deadlock, killed
// connections, and the server made unreachable through a TCP relay.

let tdb: TestDatabase;
let db: Knex;

const count = async (table: 'orders' | 'trades') => Number((await db(table).count({ n: '*' }))[0]?.['n']);
const nextFlush = (wb: WriteBuffer) =>
  new Promise<FlushInfo>((resolve) => {
    const off = wb.onFlush((info) => {
      off();
      resolve(info);
    });
  });

beforeAll(async () => {
  tdb = await createTestDatabase('write_buffer');
  db = createDb({ url: tdb.url, poolMax: 4 });
  await migrateLatest(db);
});

afterAll(async () => {
  await db?.destroy();
  await tdb?.drop();
});

beforeEach(async () => {
  await db('orders').truncate();
  await db('trades').truncate();
  await db('write_dead_letters').truncate();
});

describe('write buffer on real MySQL', () => {
  it('flushes by size, by time and on close', async () => {
    const wb = createWriteBuffer({ db, maxBatchSize: 10, flushIntervalMs: 200 });
    const first = nextFlush(wb);
    for (let i = 0; i < 10; i++) await wb.addOrder(order(`size-${i}`, 1));
    expect(await first).toMatchObject({ orders: 10, trades: 0 });
    expect(await count('orders')).toBe(10);

    const started = Date.now();
    const second = nextFlush(wb);
    await wb.addOrder(order('time-1', 1));
    await wb.addTrade(trade('time-t', 1));
    expect(await count('orders')).toBe(10); // not yet: below the batch size
    expect(await second).toMatchObject({ orders: 1, trades: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await count('trades')).toBe(1);

    await wb.addOrder(order('close-1', 1));
    await wb.close();
    expect(await count('orders')).toBe(12);
  });

  it('writes the newest state of each order once, with exact decimals', async () => {
    const wb = createWriteBuffer({ db, maxBatchSize: 1000, flushIntervalMs: 60_000 });
    for (let v = 1; v <= 10; v++) {
      for (let i = 0; i < 10; i++) {
        await wb.addOrder(
          order(`o${i}`, v, {
            filledQuantity: `${v}.000000000000000001`,
            status: v === 10 ? 'FILLED' : 'PARTIALLY_FILLED',
          }),
        );
      }
    }
    expect(wb.size()).toBe(10);
    await wb.close();
    const stored = await db('orders').select('order_id', 'version', 'filled_quantity', 'status').orderBy('order_id');
    expect(stored).toHaveLength(10);
    for (const r of stored)
      expect(r).toMatchObject({ version: '10', filled_quantity: '10.000000000000000001', status: 'FILLED' });
    expect(wb.getMetrics()).toMatchObject({ flushCount: 1, totalFlushed: 10 });
  });

  it('never moves a row backwards: an older version is ignored, the same one is a no-op, a newer one applies', async () => {
    const a = createWriteBuffer({ db, maxBatchSize: 100, flushIntervalMs: 60_000 });
    await a.addOrder(order('v', 5, { status: 'PARTIALLY_FILLED', filledQuantity: '0.5000' }));
    await a.flush();
    // A replay after a crash writes older and equal states again.
    await a.addOrder(order('v', 3, { status: 'NEW', filledQuantity: '0.0000' }));
    await a.flush();
    await a.addOrder(order('v', 5, { status: 'PARTIALLY_FILLED', filledQuantity: '0.5000' }));
    await a.flush();
    expect(await db('orders').where({ order_id: 'v' }).first('status', 'filled_quantity', 'version')).toEqual({
      status: 'PARTIALLY_FILLED',
      filled_quantity: '0.500000000000000000',
      version: '5',
    });
    await a.addOrder(order('v', 6, { status: 'FILLED', filledQuantity: '1.0000' }));
    await a.close();
    expect(await db('orders').where({ order_id: 'v' }).first('status', 'version')).toEqual({
      status: 'FILLED',
      version: '6',
    });
  });

  it('writes a trade once however often it is replayed', async () => {
    const wb = createWriteBuffer({ db, maxBatchSize: 100, flushIntervalMs: 60_000 });
    for (let round = 0; round < 3; round++) {
      await wb.addTrade(trade('shard-1-7', 7));
      await wb.addTrade(trade('shard-1-8', 8));
      await wb.flush();
    }
    await wb.close();
    expect(await count('trades')).toBe(2);
  });

  it('retries a transaction that lost a real deadlock, and then succeeds', async () => {
    // Seed a, b and filler rows. Connection A locks b and many filler rows (so InnoDB picks the lighter buffer
    // transaction as the deadlock victim), the buffer locks a and waits for b, then A asks for a: deadlock.
    const seed = createSyncWriteBuffer({ db });
    await seed.addOrder(order('dl-a', 1));
    await seed.addOrder(order('dl-b', 1));
    await db('orders').insert(Array.from({ length: 200 }, (_, i) => orderRecord(order(`filler-${i}`, 1))));
    const conn: Connection = await connectTestMysql(getTestInfra(), tdb.database);
    try {
      await conn.query('SET SESSION innodb_lock_wait_timeout = 30');
      await conn.beginTransaction();
      await conn.query("UPDATE orders SET reason = 'A' WHERE order_id LIKE 'filler-%'");
      await conn.query("UPDATE orders SET reason = 'A' WHERE order_id = 'dl-b'");

      const wb = createWriteBuffer({
        db,
        maxBatchSize: 2,
        flushIntervalMs: 60_000,
        retry: { attempts: 3, baseDelayMs: 50 },
      });
      await wb.addOrder(order('dl-a', 2, { status: 'FILLED' }));
      await wb.addOrder(order('dl-b', 2, { status: 'FILLED' }));
      const flushed = wb.flush();
      // Wait until the buffer's INSERT has been running (blocked on dl-b) for two polls in a row. The process list
      // rather than INNODB_TRX: MariaDB does not list a transaction there before it holds an id.
      let seen = 0;
      for (let i = 0; i < 200 && seen < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const [procs] = await conn.query<RowDataPacket[]>(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'insert into `orders`%'",
          [tdb.database],
        );
        seen = Number(procs[0]?.['n']) > 0 ? seen + 1 : 0;
      }
      expect(seen).toBe(2);
      await conn.query("UPDATE orders SET reason = 'A' WHERE order_id = 'dl-a'"); // closes the cycle
      await conn.commit();
      await flushed;
      expect(wb.getMetrics().retries).toBeGreaterThanOrEqual(1);
      expect(wb.getMetrics().failedFlushes).toBe(0);
      await wb.close();
    } finally {
      await conn.end();
    }
    // Both transactions committed: A's filler updates, and the buffer's newer versions over A's rows.
    const stored = await db('orders')
      .whereIn('order_id', ['dl-a', 'dl-b'])
      .orderBy('order_id')
      .select('order_id', 'status', 'reason', 'version');
    expect(stored).toEqual([
      { order_id: 'dl-a', status: 'FILLED', reason: null, version: '2' },
      { order_id: 'dl-b', status: 'FILLED', reason: null, version: '2' },
    ]);
    expect(Number((await db('orders').where({ reason: 'A' }).count({ n: '*' }))[0]?.['n'])).toBe(200);
  });

  describe('when the database goes away', () => {
    let proxy: TcpProxy;
    let viaProxy: Knex;

    beforeEach(async () => {
      const { host, port } = getTestInfra().mysql;
      proxy = await createTcpProxy({ host, port });
      // Connection errors are the point of these tests; knex's console warnings about them are noise.
      const quiet = { warn: () => undefined, error: () => undefined };
      viaProxy = createDb({
        url: tdb.url.replace(`${host}:${port}`, `127.0.0.1:${proxy.port}`),
        poolMax: 2,
        acquireTimeoutMs: 1_000,
        logger: quiet,
      });
    });

    afterEach(async () => {
      await proxy.restore();
      await viaProxy.destroy();
      await proxy.close();
    });

    it('loses no row when its connections are killed mid-run', async () => {
      const wb = createWriteBuffer({ db: viaProxy, maxBatchSize: 50, flushIntervalMs: 20, maxRetryDelayMs: 100 });
      const killer = await connectTestMysql(getTestInfra());
      let killed = 0;
      try {
        for (let i = 0; i < 2_000; i++) {
          await wb.add(order(`k${i % 500}`, Math.floor(i / 500) + 1), i % 4 === 0 ? trade(`kt-${i}`, i) : undefined);
          if (i % 250 === 125) {
            const [procs] = await killer.query<RowDataPacket[]>(
              'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
              [tdb.database],
            );
            for (const p of procs) {
              await killer.query('KILL ?', [p['ID']]).catch(() => undefined); // may already be gone
              killed++;
            }
          }
        }
        await wb.close();
      } finally {
        await killer.end();
      }
      expect(killed).toBeGreaterThan(0);
      expect(await count('orders')).toBe(500);
      expect(await count('trades')).toBe(500);
      const versions = await db('orders').distinct('version');
      expect(versions).toEqual([{ version: '4' }]);
    });

    it('keeps every row while the server is unreachable and writes them when it is back', async () => {
      const wb = createWriteBuffer({ db: viaProxy, maxBatchSize: 20, flushIntervalMs: 20, maxRetryDelayMs: 100 });
      for (let i = 0; i < 50; i++) await wb.addOrder(order(`up-${i}`, 1));
      await wb.flush();
      await proxy.cut();
      for (let i = 50; i < 150; i++) await wb.add(order(`up-${i}`, 1), trade(`ut-${i}`, i));
      await expect(wb.flush()).rejects.toMatchObject({ code: 'WB_ERR_FLUSH' });
      await new Promise((r) => setTimeout(r, 300)); // timer retries fail too
      expect(wb.getMetrics().failedFlushes).toBeGreaterThan(1);
      expect(wb.size()).toBe(200);
      expect(await count('orders')).toBe(50);
      await proxy.restore();
      await wb.close();
      expect(await count('orders')).toBe(150);
      expect(await count('trades')).toBe(100);
      expect(wb.getMetrics().buffered).toBe(0);
    });

    it('bounds memory with backpressure: the producer waits while the server is away', async () => {
      const max = 100;
      const wb = createWriteBuffer({
        db: viaProxy,
        maxBatchSize: 25,
        flushIntervalMs: 20,
        maxBufferedRows: max,
        maxRetryDelayMs: 50,
      });
      await proxy.cut();
      let produced = 0;
      let peak = 0;
      const producer = (async () => {
        for (let i = 0; i < 400; i++) {
          await wb.addOrder(order(`bp-${i}`, 1));
          produced++;
          peak = Math.max(peak, wb.size());
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      expect(produced).toBe(max); // stopped at the bound, not growing
      expect(wb.isFull()).toBe(true);
      await proxy.restore();
      await producer;
      await wb.close();
      expect(peak).toBeLessThanOrEqual(max);
      expect(await count('orders')).toBe(400);
    });
  });

  describe('rows the database refuses, and fencing', () => {
    it('dead-letters a row it cannot build or the database refuses, and writes the rest of the batch', async () => {
      const wb = createWriteBuffer({ db, maxBatchSize: 1000, flushIntervalMs: 60_000 });
      await wb.addOrder(order('reused', 3, { userId: 'alice' }));
      await wb.flush();
      for (let i = 0; i < 40; i++) await wb.addOrder(order(`ok-${i}`, 1));
      // An issuedAt far past year 9999: building the DATETIME throws (it once wedged a shard inside the transaction).
      await wb.addOrder(order('far-future', 2, { updatedAt: 9e15 }));
      // The same order id used again by another user: the database refuses to change the row's identity.
      await wb.addOrder(order('reused', 9, { userId: 'mallory', status: 'FILLED' }));
      // A trade replayed with different content (a divergent replay): refused, the stored trade stands.
      await wb.addTrade(trade('t-1', 1));
      await wb.flush();
      await wb.addTrade({ ...trade('t-1', 1), quantity: '2.0000' });
      await wb.addTrade(trade('t-2', 2));
      await wb.flush();
      await wb.close();

      expect(await count('orders')).toBe(41);
      expect(await db('orders').where({ order_id: 'reused' }).first('user_id', 'version', 'status')).toEqual({
        user_id: 'alice',
        version: '3',
        status: 'NEW',
      });
      expect(await count('trades')).toBe(2);
      expect((await db('trades').where({ trade_id: 't-1' }).first('quantity'))?.quantity).toBe('1.000000000000000000');
      const dead = await db('write_dead_letters')
        .orderBy('row_key')
        .select('kind', 'row_key', 'version', 'error_code', 'errno', 'payload');
      expect(dead.map((d) => [d.kind, d.row_key, String(d.version), d.error_code])).toEqual([
        ['order', 'far-future', '2', 'RangeError'],
        ['order', 'reused', '9', 'CHECK_CONSTRAINT_VIOLATED'],
        ['trade', 't-1', '1', 'CHECK_CONSTRAINT_VIOLATED'],
      ]);
      expect(JSON.parse(dead[1]?.payload as string)).toMatchObject({ orderId: 'reused', userId: 'mallory' });
      expect(wb.getMetrics()).toMatchObject({ deadLettered: 3, failedFlushes: 0 });
    });

    it('dead-letters a row once, however often it is replayed', async () => {
      for (let round = 0; round < 3; round++) {
        const wb = createWriteBuffer({ db, maxBatchSize: 10, flushIntervalMs: 60_000 });
        await wb.addOrder(order('bad-date', 1, { createdAt: -1e15 }));
        await wb.addOrder(order(`fine-${round}`, 1));
        await wb.close();
      }
      expect(await count('orders')).toBe(3);
      expect(Number((await db('write_dead_letters').count({ n: '*' }))[0]?.['n'])).toBe(1);
    });

    it('writes nothing once fenced, stops, and records the writer epoch on every row it wrote', async () => {
      const leases = createLeaseStore(db);
      const mine = await leases.tryAcquire('fence-shard', 'proc-a', 30_000);
      if (!mine.acquired) throw new Error('lease not acquired');
      const wb = createWriteBuffer({
        db,
        fence: leases.fence('fence-shard', mine.epoch),
        maxBatchSize: 100,
        flushIntervalMs: 60_000,
      });
      await wb.addOrder(order('before', 1));
      await wb.addTrade(trade('t-before', 1));
      await wb.flush();
      expect(await db('orders').where({ order_id: 'before' }).first('writer_epoch')).toEqual({
        writer_epoch: String(mine.epoch),
      });
      expect(await db('trades').where({ trade_id: 't-before' }).first('writer_epoch')).toEqual({
        writer_epoch: String(mine.epoch),
      });
      // Another process takes the shard over (the lease had expired, say).
      await db('shard_leases').where({ shard_id: 'fence-shard' }).update({ expires_at: '2000-01-01 00:00:00' });
      expect(await leases.tryAcquire('fence-shard', 'proc-b', 30_000)).toMatchObject({ acquired: true });
      await wb.addOrder(order('after', 1));
      await wb.addOrder(order('before', 2, { status: 'CANCELED' }));
      await expect(wb.flush()).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
      expect(await db('orders').where({ order_id: 'after' }).first()).toBeUndefined();
      expect((await db('orders').where({ order_id: 'before' }).first('version'))?.version).toBe('1');
      expect(wb.getMetrics().failed).toMatchObject({ code: 'DB_ERR_FENCED' });
    });

    it('fences the per-row baseline the same way: every row under the epoch, nothing once taken over', async () => {
      const leases = createLeaseStore(db);
      const mine = await leases.tryAcquire('sync-fence-shard', 'proc-a', 30_000);
      if (!mine.acquired) throw new Error('lease not acquired');
      const wb = createSyncWriteBuffer({ db, fence: leases.fence('sync-fence-shard', mine.epoch) });
      await wb.addOrder(order('sync-before', 1));
      await wb.addTrade(trade('sync-t-before', 1));
      // Each add resolves once its row is written: no flush needed to see them.
      expect(await db('orders').where({ order_id: 'sync-before' }).first('writer_epoch')).toEqual({
        writer_epoch: String(mine.epoch),
      });
      expect(await db('trades').where({ trade_id: 'sync-t-before' }).first('writer_epoch')).toEqual({
        writer_epoch: String(mine.epoch),
      });
      await db('shard_leases').where({ shard_id: 'sync-fence-shard' }).update({ expires_at: '2000-01-01 00:00:00' });
      expect(await leases.tryAcquire('sync-fence-shard', 'proc-b', 30_000)).toMatchObject({ acquired: true });
      await expect(wb.addOrder(order('sync-after', 1))).rejects.toMatchObject({ code: 'WB_ERR_FAILED' });
      await expect(wb.addOrder(order('sync-before', 2, { status: 'CANCELED' }))).rejects.toMatchObject({
        code: 'WB_ERR_FAILED',
      });
      expect(await db('orders').where({ order_id: 'sync-after' }).first()).toBeUndefined();
      expect((await db('orders').where({ order_id: 'sync-before' }).first('version'))?.version).toBe('1');
      expect(wb.getMetrics().failed).toMatchObject({ code: 'DB_ERR_FENCED' });
    });
  });
});
