import { gzipSync } from 'node:zlib';
import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import {
  createDb,
  createLeaseStore,
  createPreloadJournal,
  createSnapshotStore,
  type Knex,
  migrateLatest,
  PRELOAD_JOURNAL_TABLE,
  SNAPSHOT_CHUNKS_TABLE,
  SNAPSHOTS_TABLE,
} from './index';

describe('engine snapshots (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;
  const count = async (table: string, where: Record<string, unknown> = {}) =>
    Number((await db(table).where(where).count({ n: '*' }))[0]?.['n']);

  beforeAll(async () => {
    tdb = await createTestDatabase('snapshots');
    db = createDb({ url: tdb.url });
    await migrateLatest(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('stores a state in many chunks and returns the newest snapshot of a shard, parts intact, keeping the newest few', async () => {
    const store = createSnapshotStore(db, { keep: 2 });
    expect(await store.latest('shard-1')).toBeUndefined();
    // 200,000 orders in slices of 20,000: as one JSON blob this would be ~10 MB; here no chunk passes ~1 MB.
    const slices = Array.from({ length: 10 }, (_, s) =>
      Array.from({ length: 20_000 }, (_, i) => [`order-${s}-${i}`, 'user', 0, 100 + (i % 50), 10, 0, 1]),
    );
    for (let seq = 1; seq <= 4; seq++) {
      const saved = await store.save({
        shardId: 'shard-1',
        seq: seq * 10,
        offsets: { 'shard-1-input': { '0': String(seq * 100) } },
        parts: [{ seq }, ...slices],
        at: 1_700_000_000_000,
      });
      expect(saved.chunks).toBe(11);
    }
    await store.save({ shardId: 'shard-2', seq: 5, offsets: {}, parts: [{ other: true }], at: 0 });
    const latest = await store.latest('shard-1');
    expect(latest).toMatchObject({
      shardId: 'shard-1',
      seq: 40,
      epoch: 0,
      format: 'chunked',
      offsets: { 'shard-1-input': { '0': '400' } },
    });
    expect(latest?.parts).toHaveLength(11);
    expect(latest?.parts[0]).toEqual({ seq: 4 });
    expect(latest?.parts[10]).toEqual(slices[9]);
    const [sizes] = (await db.raw(`SELECT MAX(LENGTH(data)) AS biggest FROM ??`, [SNAPSHOT_CHUNKS_TABLE])) as [
      Array<{ biggest: number | string }>,
    ];
    expect(Number(sizes[0]?.biggest)).toBeLessThan(1_000_000);
    expect(await count(SNAPSHOTS_TABLE, { shard_id: 'shard-1' })).toBe(2);
    // Chunks of deleted snapshots go with them.
    expect(await count(SNAPSHOT_CHUNKS_TABLE)).toBe(2 * 11 + 1);
    expect((await store.latest('shard-2'))?.parts).toEqual([{ other: true }]);
  });

  it('reads a snapshot an older build stored as one blob', async () => {
    const legacy = { book: { v: 1 }, orders: [], lastIssuedAt: 5, sinceDepth: 2 };
    await db(SNAPSHOTS_TABLE).insert({
      shard_id: 'legacy',
      seq: 7,
      offsets: JSON.stringify({ t: { '0': '3' } }),
      state: gzipSync(Buffer.from(JSON.stringify(legacy))),
      created_at: '2026-11-21 00:00:00.000',
    });
    expect(await createSnapshotStore(db).latest('legacy')).toMatchObject({
      seq: 7,
      format: 'single',
      parts: [legacy],
      offsets: { t: { '0': '3' } },
    });
  });

  it('refuses to return a snapshot with a missing chunk', async () => {
    const store = createSnapshotStore(db);
    const { id } = await store.save({ shardId: 'torn', seq: 1, offsets: {}, parts: [{ a: 1 }, { b: 2 }], at: 0 });
    await db(SNAPSHOT_CHUNKS_TABLE).where({ snapshot_id: id, idx: 1 }).delete();
    await expect(store.latest('torn')).rejects.toMatchObject({ code: 'DB_ERR_SNAPSHOT_CORRUPT' });
  });

  it('stores nothing for a fenced writer, and keeps the journal entries its oldest kept snapshot still needs', async () => {
    const leases = createLeaseStore(db);
    const journal = createPreloadJournal(db);
    const store = createSnapshotStore(db, { keep: 2 });
    const first = await leases.tryAcquire('fenced', 'a', 10_000);
    if (!first.acquired) throw new Error('lease not acquired');
    const fence = leases.fence('fenced', first.epoch);
    await journal.record(
      fence,
      ['0', '1', '5', '7'].map((p) => ({ preloadOffset: p, inputPosition: String(Number(p) * 10) })),
    );
    const save = (seq: number, preload: string) =>
      store.save({
        shardId: 'fenced',
        seq,
        offsets: { pre: { '0': preload } },
        parts: [{ seq }],
        at: 0,
        fence,
        preloadTopic: 'pre',
      });
    const remaining = async () => (await journal.since('fenced', '0')).map((e) => e.preloadOffset);
    await save(1, '2');
    expect(await remaining()).toEqual(['5', '7']);
    await save(2, '6');
    expect(await remaining()).toEqual(['5', '7']); // the older kept snapshot (at 2) may still be replayed
    await save(3, '8');
    expect(await remaining()).toEqual(['7']); // kept: 8 and 6
    expect(await store.recent('fenced')).toHaveLength(2);
    const [newest, older] = await store.recent('fenced');
    expect((await store.load('fenced', older as number))?.seq).toBe(2);
    expect((await store.latest('fenced'))?.id).toBe(newest);
    expect((await store.latest('fenced'))?.epoch).toBe(first.epoch);

    const taken = await leases.tryAcquire('fenced', 'a', 10_000); // a new grant (even to the same owner) fences the old
    expect(taken).toMatchObject({ acquired: true, epoch: first.epoch + 1 });
    await expect(save(4, '9')).rejects.toMatchObject({ code: 'DB_ERR_FENCED' });
    expect((await store.latest('fenced'))?.seq).toBe(3);
    expect(await count(PRELOAD_JOURNAL_TABLE, { shard_id: 'fenced' })).toBe(1);
  });

  it('records the input frontier fenced, and never lowers it', async () => {
    const leases = createLeaseStore(db);
    const journal = createPreloadJournal(db);
    const got = await leases.tryAcquire('frontier', 'a', 10_000);
    if (!got.acquired) throw new Error('lease not acquired');
    const fence = leases.fence('frontier', got.epoch);
    expect(await journal.frontier('frontier')).toBeUndefined();
    await journal.recordFrontier(fence, '120');
    await journal.recordFrontier(fence, '80'); // a replay below it
    expect(await journal.frontier('frontier')).toBe('120');
    await leases.tryAcquire('frontier', 'b', 10_000).catch(() => undefined);
    await db('shard_leases')
      .where({ shard_id: 'frontier' })
      .update({ epoch: got.epoch + 1 });
    await expect(journal.recordFrontier(fence, '500')).rejects.toMatchObject({ code: 'DB_ERR_FENCED' });
    expect(await journal.frontier('frontier')).toBe('120');
  });
});
