import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import { createDb, createSnapshotStore, type Knex, migrateLatest } from './index';

describe('engine snapshots (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    tdb = await createTestDatabase('snapshots');
    db = createDb({ url: tdb.url });
    await migrateLatest(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('returns the newest snapshot of a shard, state intact, and keeps only the newest few', async () => {
    const store = createSnapshotStore(db, { keep: 2 });
    expect(await store.latest('shard-1')).toBeUndefined();
    const big = {
      orders: Array.from({ length: 50_000 }, (_, i) => [`order-${i}`, 'user', 0, 100 + (i % 50), 10, 0, 1]),
    };
    for (let seq = 1; seq <= 4; seq++)
      await store.save(
        'shard-1',
        seq * 10,
        { 'shard-1-input': { '0': String(seq * 100) } },
        { seq, ...big },
        1_700_000_000_000,
      );
    await store.save('shard-2', 5, {}, { other: true }, 0);
    const latest = await store.latest<{ seq: number; orders: unknown[] }>('shard-1');
    expect(latest).toMatchObject({ shardId: 'shard-1', seq: 40, offsets: { 'shard-1-input': { '0': '400' } } });
    expect(latest?.state.seq).toBe(4);
    expect(latest?.state.orders).toHaveLength(50_000);
    expect(Number((await db('engine_snapshots').where({ shard_id: 'shard-1' }).count({ n: '*' }))[0]?.['n'])).toBe(2);
    expect((await store.latest<{ other: boolean }>('shard-2'))?.state).toEqual({ other: true });
  });
});
