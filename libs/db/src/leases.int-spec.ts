import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import { createDb, createLeaseStore, createPreloadJournal, type Knex, migrateLatest, ORDERS_TABLE } from './index';

describe('shard leases and the preload journal (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    tdb = await createTestDatabase('leases');
    db = createDb({ url: tdb.url });
    await migrateLatest(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('grants a shard to one owner at a time, raising the epoch on every grant', async () => {
    const leases = createLeaseStore(db);
    const a = await leases.tryAcquire('s1', 'proc-a', 5_000);
    expect(a).toEqual({ acquired: true, epoch: 1 });
    const b = await leases.tryAcquire('s1', 'proc-b', 5_000);
    expect(b).toMatchObject({ acquired: false, owner: 'proc-a', epoch: 1 });
    expect(b.acquired === false && b.expiresInMs > 4_000 && b.expiresInMs <= 5_000).toBe(true);
    // Other shards are independent.
    expect(await leases.tryAcquire('s2', 'proc-b', 5_000)).toEqual({ acquired: true, epoch: 1 });
    expect(await leases.renew('s1', 'proc-a', 1, 5_000)).toBe(true);
    expect(await leases.renew('s1', 'proc-b', 1, 5_000)).toBe(false);
    expect(await leases.renew('s1', 'proc-a', 2, 5_000)).toBe(false);
  });

  it('hands the shard over once the lease expires or is released, and fences the old epoch', async () => {
    const leases = createLeaseStore(db);
    const a = await leases.tryAcquire('s3', 'proc-a', 300);
    if (!a.acquired) throw new Error('not acquired');
    const fenceA = leases.fence('s3', a.epoch);
    await db.transaction((trx) => fenceA.assert(trx)); // holds
    expect((await leases.tryAcquire('s3', 'proc-b', 300)).acquired).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    const b = await leases.tryAcquire('s3', 'proc-b', 5_000);
    expect(b).toEqual({ acquired: true, epoch: a.epoch + 1 });
    await expect(db.transaction((trx) => fenceA.assert(trx))).rejects.toMatchObject({ code: 'DB_ERR_FENCED' });
    expect(await leases.renew('s3', 'proc-a', a.epoch, 5_000)).toBe(false);

    await leases.release('s3', 'proc-b', a.epoch); // the wrong epoch releases nothing
    expect((await leases.tryAcquire('s3', 'proc-c', 5_000)).acquired).toBe(false);
    await leases.release('s3', 'proc-b', a.epoch + 1);
    expect(await leases.tryAcquire('s3', 'proc-c', 5_000)).toEqual({ acquired: true, epoch: a.epoch + 2 });
    expect(await leases.current('s3')).toMatchObject({ owner: 'proc-c', epoch: a.epoch + 2 });
  });

  it('makes a takeover wait for a write in flight, and every write after it see the new epoch', async () => {
    const leases = createLeaseStore(db);
    const a = await leases.tryAcquire('s4', 'proc-a', 200);
    if (!a.acquired) throw new Error('not acquired');
    const fence = leases.fence('s4', a.epoch);
    let takeoverDone = false;
    let writeCommitted = false;
    const write = db.transaction(async (trx) => {
      await fence.assert(trx);
      await new Promise((r) => setTimeout(r, 600)); // the lease expires meanwhile
      writeCommitted = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    const takeover = leases.tryAcquire('s4', 'proc-b', 5_000).then((r) => {
      takeoverDone = true;
      expect(writeCommitted).toBe(true); // it could not update the row under the writer's shared lock
      return r;
    });
    await write;
    expect(await takeover).toEqual({ acquired: true, epoch: a.epoch + 1 });
    expect(takeoverDone).toBe(true);
  });

  it('lets a takeover through once the server drops the session of a writer frozen inside its transaction', async () => {
    const leases = createLeaseStore(db);
    const a = await leases.tryAcquire('s6', 'proc-a', 500);
    if (!a.acquired) throw new Error('not acquired');
    // Process A's connection, with the server told to drop it after 2 s of silence.
    const dbA = createDb({ url: tdb.url, poolMax: 1, idleSessionTimeoutS: 2 });
    try {
      const frozen = await dbA.transaction();
      await createLeaseStore(dbA).fence('s6', a.epoch).assert(frozen); // ...and then A freezes, lock held
      await new Promise((r) => setTimeout(r, 600)); // its lease expires
      const started = Date.now();
      let got = await leases.tryAcquire('s6', 'proc-b', 5_000);
      while (!got.acquired && Date.now() - started < 15_000) got = await leases.tryAcquire('s6', 'proc-b', 5_000);
      expect(got).toEqual({ acquired: true, epoch: a.epoch + 1 });
      expect(Date.now() - started).toBeLessThan(10_000);
      await frozen.rollback().catch(() => undefined); // its connection is gone
    } finally {
      await dbA.destroy();
    }
  });

  it('records a preload message’s position once, and refuses to record it again', async () => {
    const leases = createLeaseStore(db);
    const journal = createPreloadJournal(db);
    const a = await leases.tryAcquire('s5', 'proc-a', 5_000);
    if (!a.acquired) throw new Error('not acquired');
    const fence = leases.fence('s5', a.epoch);
    await journal.record(fence, [{ preloadOffset: '3', inputPosition: '100' }]);
    await journal.record(fence, [
      { preloadOffset: '4', inputPosition: '100' },
      { preloadOffset: '9', inputPosition: '250' },
    ]);
    expect(await journal.since('s5', '4')).toEqual([
      { preloadOffset: '4', inputPosition: '100' },
      { preloadOffset: '9', inputPosition: '250' },
    ]);
    await expect(journal.record(fence, [{ preloadOffset: '9', inputPosition: '260' }])).rejects.toMatchObject({
      code: 'DB_ERR_JOURNAL_CONFLICT',
    });
    await leases.tryAcquire('s5', 'proc-a', 5_000); // new epoch
    await expect(journal.record(fence, [{ preloadOffset: '10', inputPosition: '300' }])).rejects.toMatchObject({
      code: 'DB_ERR_FENCED',
    });
    expect(await journal.since('s5', '0')).toHaveLength(3);
  });

  it('runs every session strict: a value that does not fit is an error, never a warning', async () => {
    const row = {
      order_id: 'x'.repeat(65), // order_id is VARCHAR(64)
      shard_id: 's',
      user_id: 'u',
      symbol: 'S',
      side: 'BUY',
      type: 'LIMIT',
      time_in_force: 'GTC',
      quantity: '1',
      filled_quantity: '0',
      status: 'NEW',
      created_at: '2026-01-01 00:00:00',
      updated_at: '2026-01-01 00:00:00',
      version: 1,
    };
    await expect(db(ORDERS_TABLE).insert(row)).rejects.toMatchObject({ errno: 1406 });
    const [[session]] = (await db.raw('SELECT @@SESSION.sql_mode AS mode, @@SESSION.time_zone AS tz')) as [
      Array<{ mode: string; tz: string }>,
    ];
    expect(session?.mode.split(',')).toEqual(expect.arrayContaining(['STRICT_TRANS_TABLES', 'STRICT_ALL_TABLES']));
    expect(session?.tz).toBe('+00:00');
  });
});
