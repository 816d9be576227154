import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import { createDb, type Knex, migrateDownAll, migrateLatest, MIGRATIONS } from './index';
import { migrationSource } from './migrations';

describe('migrations (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    tdb = await createTestDatabase('migrations');
    db = createDb({ url: tdb.url });
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('creates orders and trades with their keys and the gateway’s indexes, and is idempotent', async () => {
    expect(await migrateLatest(db)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await migrateLatest(db)).toEqual([]);
    const [indexes] = (await db.raw(
      `SELECT TABLE_NAME AS t, INDEX_NAME AS i, NON_UNIQUE AS nu, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE ORDER BY t, i`,
      [tdb.database],
    )) as [Array<{ t: string; i: string; nu: number | string; cols: string }>];
    const byName = Object.fromEntries(
      indexes.map((r) => [`${r.t}.${r.i}`, `${Number(r.nu) ? '' : 'unique '}${r.cols}`]),
    );
    expect(byName).toMatchObject({
      'orders.PRIMARY': 'unique order_id',
      'orders.ix_orders_user_status_created': 'user_id,status,created_at',
      'orders.ix_orders_symbol_created': 'symbol,created_at',
      'orders.ix_orders_user_created': 'user_id,created_at',
      'trades.PRIMARY': 'unique trade_id',
      'trades.ix_trades_symbol_time': 'symbol,executed_at,shard_id,seq',
      'trades.ix_trades_taker_time': 'taker_user_id,executed_at,shard_id,seq',
      'trades.ix_trades_maker_time': 'maker_user_id,executed_at,shard_id,seq',
      'api_keys.PRIMARY': 'unique key_id',
      'api_keys.ix_api_keys_user_created': 'user_id,created_at',
      'client_orders.PRIMARY': 'unique user_id,client_order_id',
      'client_orders.ux_client_orders_order_id': 'unique order_id',
      'client_orders.ix_client_orders_created': 'created_at',
      'instrument_sets.PRIMARY': 'unique version',
      'instruments.PRIMARY': 'unique version,symbol',
    });
    expect(Object.keys(byName).filter((k) => /^instrument(s|_sets)\./.test(k))).toHaveLength(2);
    expect(Object.keys(byName).filter((k) => k.startsWith('client_orders.'))).toHaveLength(3);
    expect(Object.keys(byName).filter((k) => k.startsWith('trades.'))).toHaveLength(4);
    expect(Object.keys(byName).filter((k) => k.startsWith('orders.'))).toHaveLength(4);
  });

  it('stores DECIMAL(36,18) exactly and returns it as a string', async () => {
    await db('trades').insert({
      trade_id: 't-1',
      shard_id: 's',
      seq: 1,
      symbol: 'BTC-USDT',
      price: '123456789012345678.123456789012345678',
      quantity: '0.000000000000000001',
      taker_order_id: 'a',
      maker_order_id: 'b',
      taker_user_id: 'u1',
      maker_user_id: 'u2',
      taker_side: 'BUY',
      executed_at: new Date(Date.UTC(2026, 10, 21, 12, 0, 0, 123)),
    });
    const row = await db('trades').where({ trade_id: 't-1' }).first();
    expect(row).toMatchObject({
      price: '123456789012345678.123456789012345678',
      quantity: '0.000000000000000001',
      seq: '1',
    });
    expect((row as { executed_at: Date }).executed_at.toISOString()).toBe('2026-11-21T12:00:00.123Z');
  });

  it('treats ids as case-sensitive', async () => {
    const base = {
      shard_id: 's',
      symbol: 'X',
      price: '1',
      quantity: '1',
      taker_order_id: 'a',
      maker_order_id: 'b',
      taker_user_id: 'u',
      maker_user_id: 'v',
      taker_side: 'BUY',
      executed_at: new Date(0),
    };
    await db('trades').insert([
      { ...base, trade_id: 'case', seq: 10 },
      { ...base, trade_id: 'CASE', seq: 11 },
    ]);
    expect(Number((await db('trades').whereIn('trade_id', ['case', 'CASE']).count({ n: '*' }))[0]?.['n'])).toBe(2);
  });

  it('reverts cleanly, and migrates up again', async () => {
    await migrateDownAll(db);
    expect(await db.schema.hasTable('orders')).toBe(false);
    expect(await db.schema.hasTable('trades')).toBe(false);
    expect(await db.schema.hasTable('api_keys')).toBe(false);
    expect(await db.schema.hasTable('client_orders')).toBe(false);
    expect(await db.schema.hasTable('instrument_sets')).toBe(false);
    expect(await db.schema.hasTable('instruments')).toBe(false);
    expect(await migrateLatest(db)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await db.schema.hasTable('api_keys')).toBe(true);
    expect(await db.schema.hasTable('client_orders')).toBe(true);
    expect(await db.schema.hasTable('instrument_sets')).toBe(true);
    expect(await db.schema.hasTable('instruments')).toBe(true);
  });

  it('takes the query indexes of 20261124-012 back to the ones before it, and forth again', async () => {
    const indexesOf = async (table: string) => {
      const [rows] = (await db.raw(
        `SELECT INDEX_NAME AS i, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY' GROUP BY INDEX_NAME ORDER BY INDEX_NAME`,
        [tdb.database, table],
      )) as [Array<{ i: string; cols: string }>];
      return rows.map((r) => `${r.i}(${r.cols})`);
    };
    await migrateLatest(db);
    const config = { migrationSource, tableName: 'shardex_migrations', name: '20261124-012-order-and-fill-queries' };
    const after = { orders: await indexesOf('orders'), trades: await indexesOf('trades') };
    await db.migrate.down(config);
    expect(await indexesOf('orders')).toEqual([
      'ix_orders_symbol_created(symbol,created_at)',
      'ix_orders_user_status_created(user_id,status,created_at)',
    ]);
    expect(await indexesOf('trades')).toEqual([
      'ix_trades_maker_user(maker_user_id,executed_at)',
      'ix_trades_symbol_executed(symbol,executed_at)',
      'ix_trades_taker_user(taker_user_id,executed_at)',
    ]);
    await db.migrate.up(config);
    expect({ orders: await indexesOf('orders'), trades: await indexesOf('trades') }).toEqual(after);
  });

  it('creates the instrument tables with their column types and a case-sensitive collation', async () => {
    const [columns] = (await db.raw(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLLATION_NAME AS coll
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ('instrument_sets', 'instruments')
        ORDER BY TABLE_NAME = 'instruments', ORDINAL_POSITION`,
      [tdb.database],
    )) as [Array<{ t: string; c: string; type: string; nullable: string; coll: string | null }>];
    // MySQL 8 shows integer types without a display width (bigint unsigned), MariaDB with one: compare without.
    const shown = columns.map(
      (r) => `${r.t}.${r.c} ${r.type.toLowerCase().replace(/^(\w*int)\(\d+\)/, '$1')} ${r.nullable} ${r.coll ?? '-'}`,
    );
    expect(shown).toEqual([
      'instrument_sets.version bigint unsigned NO -',
      'instrument_sets.created_at datetime(3) NO -',
      'instrument_sets.created_by varchar(128) YES utf8mb4_bin',
      'instrument_sets.instrument_count int unsigned NO -',
      'instruments.version bigint unsigned NO -',
      'instruments.symbol varchar(32) NO utf8mb4_bin',
      'instruments.shard_id varchar(64) NO utf8mb4_bin',
      'instruments.spec text NO utf8mb4_bin',
    ]);
  });
  it('lets several processes migrate a fresh database at once: one migrates, the others wait and find it done', async () => {
    const fresh = await createTestDatabase('migrations-race');
    const pools = Array.from({ length: 4 }, () => createDb({ url: fresh.url }));
    try {
      const results = await Promise.allSettled(pools.map((p) => migrateLatest(p, { pollMs: 20 })));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual(
        pools.map(() => 'fulfilled'),
      );
      const applied = results.map((r) => (r.status === 'fulfilled' ? r.value : []));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort()); // each applied exactly once
    } finally {
      for (const p of pools) await p.destroy();
      await fresh.drop();
    }
  });
});
