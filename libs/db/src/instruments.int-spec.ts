import { compileInstrument, type InstrumentSpec, instrumentSpec, unwrap } from '@shardex/contracts';
import { BTC, TEST } from '@shardex/contracts/testing';
import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import {
  createDb,
  createInstrumentRegistry,
  INSTRUMENT_SETS_TABLE,
  INSTRUMENTS_TABLE,
  type InstrumentSet,
  type Knex,
  migrateLatest,
} from './index';

const AT = new Date(Date.UTC(2026, 10, 24, 12, 0, 0, 123));
const ETH: InstrumentSpec = {
  ...BTC,
  symbol: 'ETH-USDT',
  base: 'ETH',
  marketPriceBandBps: 250,
  selfTradePrevention: 'CANCEL_BOTH',
  maxOpenOrders: 5_000,
  maxOpenOrdersPerUser: 50,
};
const SOL: InstrumentSpec = { ...TEST, symbol: 'SOL-USDT', base: 'SOL', maxOpenOrders: 10 };
/** A set of `n` small instruments spread over three shards, with `tag` in every symbol. */
const many = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    spec: { ...TEST, symbol: `${tag}-${String(i).padStart(5, '0')}` },
    shardId: `shard-${i % 3}`,
  }));

/** What load must give back for an input: the spec compiled, i.e. with the defaults filled in. */
const expected = (instruments: Array<{ spec: InstrumentSpec; shardId: string }>) =>
  [...instruments]
    .sort((a, b) => (a.spec.symbol < b.spec.symbol ? -1 : 1))
    .map(({ spec, shardId }) => ({ spec: instrumentSpec(unwrap(compileInstrument(spec))), shardId }));
const specsOf = (set: InstrumentSet | undefined) =>
  set?.instruments.map(({ instrument, shardId }) => ({ spec: instrumentSpec(instrument), shardId }));

async function withDatabase(label: string): Promise<{ tdb: TestDatabase; db: Knex }> {
  const tdb = await createTestDatabase(label);
  const db = createDb({ url: tdb.url });
  await migrateLatest(db);
  return { tdb, db };
}

async function rowCounts(db: Knex) {
  const count = async (table: string) => Number((await db(table).count({ n: '*' }))[0]?.['n']);
  return { sets: await count(INSTRUMENT_SETS_TABLE), instruments: await count(INSTRUMENTS_TABLE) };
}

/** The statements matching `pattern` that `work` sends, with the knex transaction each ran in. */
async function statementsOf(
  db: Knex,
  pattern: RegExp,
  work: () => Promise<unknown>,
): Promise<Array<{ sql: string; __knexTxId?: string }>> {
  const seen: Array<{ sql: string; __knexTxId?: string }> = [];
  const onQuery = (q: { sql: string; __knexTxId?: string }) => {
    if (pattern.test(q.sql)) seen.push(q);
  };
  db.on('query', onQuery);
  try {
    await work();
  } finally {
    db.off('query', onQuery);
  }
  return seen;
}

describe('instrument registry (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    ({ tdb, db } = await withDatabase('instruments'));
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('knows no version before the first publish', async () => {
    const registry = createInstrumentRegistry(db);
    expect(await registry.latestVersion()).toBeUndefined();
    expect(await registry.load()).toBeUndefined();
    expect(await registry.load(1)).toBeUndefined();
  });

  it('publishes version 1 and loads it back: every spec as compiled, its shard, the time and the author', async () => {
    const registry = createInstrumentRegistry(db);
    const instruments = [
      { spec: SOL, shardId: 'shard-b' },
      { spec: BTC, shardId: 'shard-a' },
      { spec: ETH, shardId: 'shard-a' },
    ];
    expect(await registry.publish({ instruments, at: AT, createdBy: 'ops@host-1' })).toEqual({ version: 1 });
    expect(await registry.latestVersion()).toBe(1);

    const loaded = await registry.load();
    expect(loaded).toMatchObject({ version: 1, createdAt: AT, createdBy: 'ops@host-1' });
    expect(specsOf(loaded)).toEqual(expected(instruments));
    expect(loaded?.instruments.map((i) => i.instrument.symbol)).toEqual(['BTC-USDT', 'ETH-USDT', 'SOL-USDT']);
    // The defaults came from compiling (BTC sets none of them), and the integer forms are there for the gateway.
    expect(loaded?.instruments[0]?.instrument).toMatchObject({ marketPriceBandBps: 500, tickUnits: 1, tickScale: 2 });
    expect(await registry.load(1)).toEqual(loaded);

    // Stored normalised, every default filled in, so that a build with other defaults reads the same instrument.
    const stored = (await db(INSTRUMENTS_TABLE).where({ version: 1 }).orderBy('symbol')) as Array<{ spec: string }>;
    expect(stored.map((r) => JSON.parse(r.spec) as unknown)).toEqual(
      [BTC, ETH, SOL].map((s) => instrumentSpec(unwrap(compileInstrument(s)))),
    );
    expect(JSON.parse(stored[0]?.spec ?? '{}')).toMatchObject({ marketPriceBandBps: 500 });
    expect(await db(INSTRUMENT_SETS_TABLE).where({ version: 1 }).first()).toMatchObject({ instrument_count: 3 });
  });

  it('numbers each new set one above the newest; older versions stay loadable as they were', async () => {
    const registry = createInstrumentRegistry(db);
    const before = (await registry.latestVersion()) ?? 0;
    const v1 = await registry.load(before);
    const later = new Date(AT.getTime() + 60_000);
    const second = [{ spec: { ...BTC, tickSize: '0.1' }, shardId: 'shard-c' }];
    expect(await registry.publish({ instruments: second, at: later })).toEqual({ version: before + 1 });
    expect(await registry.latestVersion()).toBe(before + 1);
    const third = [{ spec: TEST, shardId: 'shard-a' }];
    expect(await registry.publish({ instruments: third, at: later })).toEqual({ version: before + 2 });
    expect(await registry.latestVersion()).toBe(before + 2);

    expect(await registry.load()).toMatchObject({ version: before + 2, createdAt: later, createdBy: null });
    expect(specsOf(await registry.load())).toEqual(expected(third));
    expect(specsOf(await registry.load(before + 1))).toEqual(expected(second));
    expect(await registry.load(before)).toEqual(v1);
    expect(await registry.load(before + 3)).toBeUndefined();
  });

  it('writes nothing for an invalid set', async () => {
    const registry = createInstrumentRegistry(db);
    const counts = await rowCounts(db);
    const latest = await registry.latestVersion();
    await expect(
      registry.publish({
        instruments: [...many('GOOD', 5), { spec: { ...BTC, lotSize: '0' }, shardId: 'shard-a' }],
        at: AT,
      }),
    ).rejects.toMatchObject({ code: 'DB_ERR_INSTRUMENTS_INVALID' });
    await expect(
      registry.publish({ instruments: [...many('DUP', 2), ...many('DUP', 1)], at: AT }),
    ).rejects.toMatchObject({ code: 'DB_ERR_INSTRUMENTS_INVALID', problems: [expect.stringContaining('DUP-00000')] });
    await expect(registry.publish({ instruments: [], at: AT })).rejects.toMatchObject({
      code: 'DB_ERR_INSTRUMENTS_INVALID',
    });
    expect(await rowCounts(db)).toEqual(counts);
    expect(await registry.latestVersion()).toBe(latest);
  });

  it('inserts a large set in batches, and loads all of it', async () => {
    const registry = createInstrumentRegistry(db, { insertBatchSize: 500 });
    const instruments = many('BULK', 1_201);
    let version = 0;
    const inserts = await statementsOf(db, /^insert into `instruments`/i, async () => {
      ({ version } = await registry.publish({ instruments, at: AT }));
    });
    expect(inserts).toHaveLength(3); // 500 + 500 + 201
    const loaded = await registry.load(version);
    expect(loaded?.instruments).toHaveLength(1_201);
    expect(specsOf(loaded)).toEqual(expected(instruments));
  });

  it('gives 10 concurrent publishes 10 distinct consecutive versions, each holding its own set', async () => {
    const registry = createInstrumentRegistry(db);
    const before = (await registry.latestVersion()) ?? 0;
    const sets = Array.from({ length: 10 }, (_, p) => many(`P${p}`, 3 + p));
    const results = await Promise.all(
      sets.map((instruments, p) => registry.publish({ instruments, at: AT, createdBy: `publisher-${p}` })),
    );
    const versions = results.map((r) => r.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => before + 1 + i));
    expect(await registry.latestVersion()).toBe(before + 10);
    for (const [p, version] of versions.entries()) {
      const loaded = await registry.load(version);
      expect(loaded?.createdBy).toBe(`publisher-${p}`);
      expect(specsOf(loaded)).toEqual(expected(sets[p] ?? []));
    }
  });

  it('refuses to load a stored set it cannot read whole, naming the version and the symbol', async () => {
    const registry = createInstrumentRegistry(db);
    const { version } = await registry.publish({ instruments: many('CORRUPT', 3), at: AT });
    const row = { version, symbol: 'CORRUPT-00001' };

    await db(INSTRUMENTS_TABLE)
      .where(row)
      .update({ spec: JSON.stringify({ ...TEST, symbol: 'CORRUPT-00001', tickSize: '0' }) });
    const noLongerCompiles = expect.objectContaining({
      code: 'DB_ERR_INSTRUMENTS_CORRUPT',
      message: expect.stringMatching(new RegExp(`version ${version}: .*instrument CORRUPT-00001: tickSize`)),
    });
    await expect(registry.load(version)).rejects.toEqual(noLongerCompiles);
    // The gateway starting on the newest version does not start on part of it either.
    await expect(registry.load()).rejects.toEqual(noLongerCompiles);

    await db(INSTRUMENTS_TABLE).where(row).update({ spec: '{"symbol":' });
    await expect(registry.load(version)).rejects.toMatchObject({
      code: 'DB_ERR_INSTRUMENTS_CORRUPT',
      message: expect.stringContaining('instrument CORRUPT-00001: the stored spec is not JSON'),
    });

    await db(INSTRUMENTS_TABLE)
      .where(row)
      .update({ spec: JSON.stringify({ ...TEST, symbol: 'CORRUPT-00002' }) });
    await expect(registry.load(version)).rejects.toMatchObject({
      code: 'DB_ERR_INSTRUMENTS_CORRUPT',
      message: expect.stringContaining('instrument CORRUPT-00001: the stored spec is of CORRUPT-00002'),
    });

    await db(INSTRUMENTS_TABLE).where(row).delete();
    await expect(registry.load(version)).rejects.toMatchObject({
      code: 'DB_ERR_INSTRUMENTS_CORRUPT',
      message: expect.stringContaining(`version ${version}: 2 instruments stored, the set row says 3`),
    });

    // Other versions are untouched, and a new publish is readable again.
    expect(await registry.load(1)).toMatchObject({ version: 1 });
    const { version: next } = await registry.publish({ instruments: many('AFTER', 1), at: AT });
    expect(specsOf(await registry.load())).toEqual(expected(many('AFTER', 1)));
    expect(next).toBe(version + 1);
  });

  it('answers latestVersion from the index alone', async () => {
    const [plan] = (await db.raw('EXPLAIN SELECT MAX(version) AS v FROM ??', [INSTRUMENT_SETS_TABLE])) as [
      Array<{ Extra: string | null }>,
    ];
    expect(plan[0]?.Extra).toMatch(/optimized away/i);
  });

  it('prunes all but the newest N versions, rows and all, one version per transaction', async () => {
    const registry = createInstrumentRegistry(db);
    // Three readable versions on top (the test above left a corrupt one below them).
    for (const tag of ['KEEP1', 'KEEP2', 'KEEP3']) await registry.publish({ instruments: many(tag, 2), at: AT });
    const latest = (await registry.latestVersion()) ?? 0;
    const newest = await Promise.all([latest - 2, latest - 1, latest].map((v) => registry.load(v)));
    expect(latest).toBeGreaterThan(5);

    expect(await registry.prune(latest + 1)).toBe(0);
    expect(await registry.prune(latest)).toBe(0);
    let pruned = 0;
    const deletes = await statementsOf(db, /^delete/i, async () => {
      pruned = await registry.prune(3);
    });
    expect(pruned).toBe(latest - 3);
    // Per version its instruments, then its set row, in a transaction of their own.
    expect(deletes).toHaveLength(2 * (latest - 3));
    const transactions = new Set(deletes.map((d) => d.__knexTxId));
    expect(transactions.size).toBe(latest - 3);
    expect(transactions.has(undefined)).toBe(false);

    const versions = (await db(INSTRUMENT_SETS_TABLE).orderBy('version').pluck('version')) as string[];
    expect(versions.map(Number)).toEqual([latest - 2, latest - 1, latest]);
    const rowVersions = (await db(INSTRUMENTS_TABLE).distinct('version').orderBy('version')) as Array<{
      version: string;
    }>;
    expect(rowVersions.map((r) => Number(r.version))).toEqual([latest - 2, latest - 1, latest]);
    expect(await registry.load(1)).toBeUndefined();
    expect(await Promise.all([latest - 2, latest - 1, latest].map((v) => registry.load(v)))).toEqual(newest);
    expect(await registry.latestVersion()).toBe(latest);

    expect(await registry.prune(3)).toBe(0);
    expect(await registry.prune(1)).toBe(2);
    expect(await registry.load()).toEqual(newest[2]);
    // Versions continue from the newest, never reusing a pruned number.
    expect(await registry.publish({ instruments: many('NEXT', 1), at: AT })).toEqual({ version: latest + 1 });
  });
});

describe('instrument registry: concurrent first publishes (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    ({ tdb, db } = await withDatabase('instrumentsrace'));
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('numbers 10 publishes racing on an empty registry 1 to 10', async () => {
    const registry = createInstrumentRegistry(db);
    const sets = Array.from({ length: 10 }, (_, p) => many(`R${p}`, 2));
    const versions = (await Promise.all(sets.map((instruments) => registry.publish({ instruments, at: AT })))).map(
      (r) => r.version,
    );
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const [p, version] of versions.entries())
      expect(specsOf(await registry.load(version))).toEqual(expected(sets[p] ?? []));
    expect(await rowCounts(db)).toEqual({ sets: 10, instruments: 20 });
  });

  it('does collide without its retries: the race above is real', async () => {
    const registry = createInstrumentRegistry(db, { maxAttempts: 1 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, p) => registry.publish({ instruments: many(`S${p}`, 2), at: AT })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(won).toBeGreaterThanOrEqual(1);
    expect(won).toBeLessThan(10);
    // The losers wrote nothing: only the winners' sets are there, numbered on from 10 without a gap.
    expect(await registry.latestVersion()).toBe(10 + won);
    expect(await rowCounts(db)).toEqual({ sets: 10 + won, instruments: 20 + 2 * won });
  });
});
