import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import {
  CLIENT_ORDERS_TABLE,
  createClientOrderStore,
  createDb,
  type Knex,
  migrateLatest,
  portableErrorCode,
  utcDatetime,
} from './index';

const HOUR = 3600_000;
const AT = new Date(Date.UTC(2026, 10, 24, 12, 0, 0, 123));
const command = (orderId: string) => JSON.stringify({ type: 'PLACE_ORDER', commandId: `cmd-${orderId}`, orderId });
const reservation = (userId: string, clientOrderId: string, orderId: string, at = AT) => ({
  userId,
  clientOrderId,
  orderId,
  symbol: 'BTC-USDT',
  command: command(orderId),
  at,
});

describe('clientOrderId store (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    tdb = await createTestDatabase('clientorders');
    db = createDb({ url: tdb.url });
    await migrateLatest(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  const rowsOf = (userId: string) =>
    db(CLIENT_ORDERS_TABLE).where({ user_id: userId }).orderBy('client_order_id') as Promise<Record<string, unknown>[]>;

  it('reserves a fresh key, pending, with the command exactly as given', async () => {
    const store = createClientOrderStore(db);
    const text = '{"type":"PLACE_ORDER","note":"€ 🚀 \\u0000"}';
    expect(await store.reserve({ ...reservation('user-1', 'c-1', 'o-1'), command: text })).toEqual({ fresh: true });
    expect(await store.find('user-1', 'c-1')).toEqual({
      userId: 'user-1',
      clientOrderId: 'c-1',
      orderId: 'o-1',
      symbol: 'BTC-USDT',
      command: text,
      state: 'pending',
      createdAt: AT,
      sentAt: null,
    });
    expect(await store.find('user-1', 'c-2')).toBeUndefined();
  });

  it('answers a second reserve of the key with the first one, and writes nothing', async () => {
    const store = createClientOrderStore(db);
    expect(await store.reserve(reservation('user-2', 'retry-me', 'o-2a'))).toEqual({ fresh: true });
    const before = await rowsOf('user-2');
    const later = new Date(AT.getTime() + HOUR);
    const again = await store.reserve({ ...reservation('user-2', 'retry-me', 'o-2b', later), symbol: 'ETH-USDT' });
    expect(again).toEqual({
      fresh: false,
      userId: 'user-2',
      clientOrderId: 'retry-me',
      orderId: 'o-2a',
      symbol: 'BTC-USDT',
      command: command('o-2a'),
      state: 'pending',
      createdAt: AT,
      sentAt: null,
    });
    expect(await rowsOf('user-2')).toEqual(before);
    // The refused order id was not taken by anything: it is still free for a reservation of its own.
    expect(await store.reserve(reservation('user-2', 'other', 'o-2b'))).toEqual({ fresh: true });
  });

  it('keeps keys apart per user, and case-sensitive', async () => {
    const store = createClientOrderStore(db);
    expect(await store.reserve(reservation('user-3', 'shared', 'o-3'))).toEqual({ fresh: true });
    expect(await store.reserve(reservation('user-4', 'shared', 'o-4'))).toEqual({ fresh: true });
    expect(await store.reserve(reservation('user-3', 'SHARED', 'o-3-upper'))).toEqual({ fresh: true });
    expect(await store.find('user-3', 'shared')).toMatchObject({ orderId: 'o-3' });
    expect(await store.find('user-4', 'shared')).toMatchObject({ orderId: 'o-4' });
    expect(await store.find('USER-3', 'shared')).toBeUndefined();
    expect(await store.markSent('user-4', 'shared', AT)).toBe(true);
    expect(await store.find('user-3', 'shared')).toMatchObject({ state: 'pending' }); // user-3's row untouched
  });

  it('marks a reservation sent once; a later reserve reports it sent', async () => {
    const store = createClientOrderStore(db);
    await store.reserve(reservation('user-5', 'c-5', 'o-5'));
    const sentAt = new Date(AT.getTime() + 250);
    expect(await store.markSent('user-5', 'c-5', sentAt)).toBe(true);
    expect(await store.markSent('user-5', 'c-5', new Date(AT.getTime() + 999))).toBe(false);
    expect(await store.markSent('user-5', 'missing', sentAt)).toBe(false);
    expect(await store.markSent('user-6', 'c-5', sentAt)).toBe(false);
    expect(await store.find('user-5', 'c-5')).toMatchObject({ state: 'sent', sentAt, createdAt: AT });
    expect(await store.reserve(reservation('user-5', 'c-5', 'o-5-retry'))).toMatchObject({
      fresh: false,
      orderId: 'o-5',
      state: 'sent',
      sentAt,
    });
  });

  it('lets exactly one of 20 concurrent reserves of a key win; all others get its order id', async () => {
    const store = createClientOrderStore(db);
    const ids = Array.from({ length: 20 }, (_, i) => `o-race-${i}`);
    const results = await Promise.all(ids.map((id) => store.reserve(reservation('user-7', 'race', id))));
    const winners = ids.filter((_, i) => results[i]?.fresh);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    for (const r of results) if (!r.fresh) expect(r).toMatchObject({ orderId: winner, command: command(winner ?? '') });
    expect(await rowsOf('user-7')).toEqual([expect.objectContaining({ order_id: winner })]);
  });

  it('refuses an order id reused under another clientOrderId with DB_ERR_ORDER_ID_TAKEN, writing nothing', async () => {
    const store = createClientOrderStore(db);
    await store.reserve(reservation('user-8', 'first', 'o-8'));
    await expect(store.reserve(reservation('user-8', 'second', 'o-8'))).rejects.toMatchObject({
      code: 'DB_ERR_ORDER_ID_TAKEN',
      retriable: false,
    });
    await expect(store.reserve(reservation('user-9', 'first', 'o-8'))).rejects.toMatchObject({
      code: 'DB_ERR_ORDER_ID_TAKEN',
    });
    expect(await store.find('user-8', 'second')).toBeUndefined();
    expect(await store.find('user-9', 'first')).toBeUndefined();
    // A retry of the original key still gets the original, whatever order id it carries.
    expect(await store.reserve(reservation('user-8', 'first', 'o-8'))).toMatchObject({ fresh: false, orderId: 'o-8' });
  });

  it('refuses impossible states in the database itself', async () => {
    const row = {
      user_id: 'user-10',
      client_order_id: 'c',
      order_id: 'o-10',
      symbol: 'X',
      command: '{}',
      created_at: utcDatetime(AT.getTime()),
    };
    for (const bad of [
      { state: 'done', sent_at: null },
      { state: 'sent', sent_at: null },
      { state: 'pending', sent_at: utcDatetime(AT.getTime()) },
    ]) {
      const err = await db(CLIENT_ORDERS_TABLE)
        .insert({ ...row, ...bad })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(portableErrorCode(err)).toBe('CHECK_CONSTRAINT_VIOLATED');
    }
    expect(await rowsOf('user-10')).toEqual([]);
  });

  it('purges only rows older than the retention, in bounded batches', async () => {
    // Years before every other test's rows, so this purge cannot touch theirs.
    const now = new Date(Date.UTC(2020, 0, 10, 0, 0, 0, 0));
    const retentionMs = 24 * HOUR;
    const store = createClientOrderStore(db, { retentionMs });
    const ages = {
      old1: 72 * HOUR,
      old2: 48 * HOUR,
      old3: 48 * HOUR,
      old4: 30 * HOUR,
      old5: retentionMs + 1,
      edge: retentionMs, // exactly as old as the retention: kept
      young: HOUR,
    };
    for (const [key, age] of Object.entries(ages))
      await store.reserve(reservation('user-11', key, `o-11-${key}`, new Date(now.getTime() - age)));
    await store.markSent('user-11', 'old2', now);

    // The default retention (7 days) keeps them all.
    expect(await createClientOrderStore(db).purge(now)).toBe(0);

    const deletes: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^delete/i.test(q.sql)) deletes.push(q.sql);
    };
    db.on('query', onQuery);
    try {
      expect(await store.purge(now, { batch: 2 })).toBe(5);
    } finally {
      db.off('query', onQuery);
    }
    expect(deletes).toHaveLength(3); // 2 + 2 + 1: the short batch ends it
    expect((await rowsOf('user-11')).map((r) => r['client_order_id'])).toEqual(['edge', 'young']);
    expect(await store.purge(now, { batch: 2 })).toBe(0);

    // A purged key is free again (after the retention, a retry is a new order).
    expect(await store.reserve(reservation('user-11', 'old1', 'o-11-old1-again', now))).toEqual({ fresh: true });
  });

  it('purges exactly a multiple of the batch with one extra, empty statement', async () => {
    const now = new Date(Date.UTC(2019, 0, 10));
    const store = createClientOrderStore(db, { retentionMs: 24 * HOUR });
    for (let i = 0; i < 4; i++)
      await store.reserve(reservation('user-12', `k${i}`, `o-12-${i}`, new Date(now.getTime() - 25 * HOUR - i)));
    let statements = 0;
    const onQuery = (q: { sql: string }) => {
      if (/^delete/i.test(q.sql)) statements++;
    };
    db.on('query', onQuery);
    try {
      expect(await store.purge(now, { batch: 2 })).toBe(4);
    } finally {
      db.off('query', onQuery);
    }
    expect(statements).toBe(3);
    expect(await rowsOf('user-12')).toEqual([]);
  });

  it('uses the created_at index for the purge', async () => {
    const [plan] = (await db.raw('EXPLAIN DELETE FROM ?? WHERE created_at < ? ORDER BY created_at LIMIT 10', [
      CLIENT_ORDERS_TABLE,
      utcDatetime(AT.getTime()),
    ])) as [Array<{ key: string | null; possible_keys: string | null }>];
    expect(`${plan[0]?.possible_keys ?? ''} ${plan[0]?.key ?? ''}`).toContain('ix_client_orders_created');
  });
  describe('in batches', () => {
    it('reserves many keys at once: fresh ones, existing ones and repeats within the batch, in input order', async () => {
      const store = createClientOrderStore(db);
      expect(await store.reserve(reservation('batch-u', 'old', 'bo-old'))).toEqual({ fresh: true });
      const answers = await store.reserveMany([
        reservation('batch-u', 'a', 'bo-a'),
        reservation('batch-u', 'old', 'bo-x'),
        reservation('batch-u', 'b', 'bo-b'),
        reservation('batch-u', 'a', 'bo-a2'),
        reservation('batch-v', 'a', 'bo-va'),
      ]);
      expect(answers).toEqual([
        { fresh: true },
        expect.objectContaining({ fresh: false, orderId: 'bo-old', state: 'pending' }),
        { fresh: true },
        expect.objectContaining({ fresh: false, orderId: 'bo-a', command: command('bo-a') }),
        { fresh: true },
      ]);
      const rows = await rowsOf('batch-u');
      expect(rows.map((r) => [r['client_order_id'], r['order_id']])).toEqual([
        ['a', 'bo-a'],
        ['b', 'bo-b'],
        ['old', 'bo-old'],
      ]);
    });

    it('answers an invalid input and a taken order id in their place, the others reserved', async () => {
      const store = createClientOrderStore(db);
      await store.reserve(reservation('batch-w', 'first', 'bo-taken'));
      const answers = await store.reserveMany([
        reservation('batch-w', 'ok', 'bo-ok'),
        { ...reservation('batch-w', 'bad', 'bo-bad'), clientOrderId: 'has space' },
        reservation('batch-w', 'second', 'bo-taken'),
      ]);
      expect(answers[0]).toEqual({ fresh: true });
      expect(portableErrorCode(answers[1])).toBe('DB_ERR_CLIENT_ORDER_INVALID');
      expect(portableErrorCode(answers[2])).toBe('DB_ERR_ORDER_ID_TAKEN');
      expect((await rowsOf('batch-w')).map((r) => r['client_order_id'])).toEqual(['first', 'ok']);
    });

    it('marks many sent in one statement, only pending ones', async () => {
      const store = createClientOrderStore(db);
      await store.reserveMany([reservation('batch-s', 'x', 'bs-x'), reservation('batch-s', 'y', 'bs-y')]);
      await store.markSent('batch-s', 'x', AT);
      const later = new Date(AT.getTime() + 1000);
      expect(
        await store.markSentMany(
          [
            { userId: 'batch-s', clientOrderId: 'x' },
            { userId: 'batch-s', clientOrderId: 'y' },
            { userId: 'batch-s', clientOrderId: 'none' },
          ],
          later,
        ),
      ).toBe(1);
      expect((await store.find('batch-s', 'x'))?.sentAt).toEqual(AT);
      expect(await store.find('batch-s', 'y')).toMatchObject({ state: 'sent', sentAt: later });
      expect(await store.markSentMany([], later)).toBe(0);
    });
  });
});
