import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import {
  createDb,
  createOrderQueries,
  type Fill,
  type Knex,
  migrateLatest,
  ORDER_STATUSES,
  orderRecord,
  type OrderRow,
  type OrderStatus,
  ORDERS_TABLE,
  tradeRecord,
  type TradeRow,
  TRADES_TABLE,
} from './index';
import { encodeFillCursor, encodeOrderCursor } from './order-queries';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0, 0);

const anOrder = (o: Partial<OrderRow> & Pick<OrderRow, 'orderId' | 'userId' | 'createdAt'>): OrderRow => ({
  shardId: 'shard-1',
  symbol: 'BTC-USDT',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  price: '100.5',
  quantity: '2',
  filledQuantity: '0',
  status: 'NEW',
  postOnly: false,
  reason: null,
  version: 1,
  updatedAt: o.createdAt,
  ...o,
});

const aTrade = (t: Partial<TradeRow> & Pick<TradeRow, 'shardId' | 'seq' | 'executedAt'>): TradeRow => ({
  tradeId: `${t.shardId}-${t.seq}`,
  symbol: 'BTC-USDT',
  price: '100.5',
  quantity: '0.25',
  takerOrderId: 'someone-t',
  makerOrderId: 'someone-m',
  takerUserId: 'someone',
  makerUserId: 'someone-else',
  takerSide: 'BUY',
  ...t,
});

/** Newest first, as the listings promise (ids compared by code unit: utf8mb4_bin on ASCII ids). */
const newestFirst = (a: OrderRow, b: OrderRow) =>
  b.createdAt - a.createdAt || (a.orderId < b.orderId ? 1 : a.orderId > b.orderId ? -1 : 0);

describe('order queries (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    tdb = await createTestDatabase('orderqueries');
    db = createDb({ url: tdb.url });
    await migrateLatest(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  const insertOrders = async (rows: OrderRow[]) => {
    for (let i = 0; i < rows.length; i += 1000)
      await db(ORDERS_TABLE).insert(rows.slice(i, i + 1000).map((r) => orderRecord(r)));
  };
  const insertTrades = async (rows: TradeRow[]) => {
    for (let i = 0; i < rows.length; i += 1000)
      await db(TRADES_TABLE).insert(rows.slice(i, i + 1000).map((r) => tradeRecord(r)));
  };

  /** Follows nextCursor to the end; every page but the last is full, and the last says so. */
  async function allPages<T>(
    page: (cursor: string | undefined) => Promise<{ rows: T[]; nextCursor: string | null }>,
    limit: number,
  ): Promise<{ rows: T[]; pages: number }> {
    const rows: T[] = [];
    let cursor: string | undefined;
    for (let pages = 1; pages <= 1000; pages++) {
      const p = await page(cursor);
      rows.push(...p.rows);
      if (p.nextCursor === null) {
        expect(p.rows.length).toBeLessThanOrEqual(limit);
        return { rows, pages };
      }
      expect(p.rows).toHaveLength(limit);
      cursor = p.nextCursor;
    }
    throw new Error('the cursor never ended');
  }

  describe('getOrder', () => {
    it("returns the caller's own order, with canonical amounts and epoch-ms times", async () => {
      await insertOrders([
        anOrder({
          orderId: 'get-1',
          userId: 'get-alice',
          createdAt: T0 + 1,
          updatedAt: T0 + 250,
          price: '100.500000',
          quantity: '3.000',
          filledQuantity: '1.25',
          status: 'PARTIALLY_FILLED',
          postOnly: true,
          version: 7,
        }),
        anOrder({
          orderId: 'get-2',
          userId: 'get-alice',
          createdAt: T0 + 2,
          type: 'MARKET',
          timeInForce: 'IOC',
          side: 'SELL',
          price: null,
          quantity: '0.000000000000000001',
          filledQuantity: '0',
          status: 'EXPIRED',
          reason: 'NO_LIQUIDITY',
        }),
      ]);
      const q = createOrderQueries(db);
      expect(await q.getOrder('get-alice', 'get-1')).toEqual({
        orderId: 'get-1',
        shardId: 'shard-1',
        userId: 'get-alice',
        symbol: 'BTC-USDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        price: '100.5',
        quantity: '3',
        filledQuantity: '1.25',
        status: 'PARTIALLY_FILLED',
        postOnly: true,
        reason: null,
        version: 7,
        createdAt: T0 + 1,
        updatedAt: T0 + 250,
      });
      expect(await q.getOrder('get-alice', 'get-2')).toMatchObject({
        type: 'MARKET',
        price: null,
        quantity: '0.000000000000000001',
        filledQuantity: '0',
        postOnly: false,
        reason: 'NO_LIQUIDITY',
      });
    });

    it("answers someone else's order exactly as a missing one", async () => {
      await insertOrders([anOrder({ orderId: 'get-bob-1', userId: 'get-bob', createdAt: T0 })]);
      const q = createOrderQueries(db);
      expect(await q.getOrder('get-bob', 'get-bob-1')).toMatchObject({ orderId: 'get-bob-1' });
      expect(await q.getOrder('get-mallory', 'get-bob-1')).toBeUndefined();
      expect(await q.getOrder('GET-BOB', 'get-bob-1')).toBeUndefined(); // ids are case-sensitive
      expect(await q.getOrder('get-bob', 'GET-BOB-1')).toBeUndefined();
      expect(await q.getOrder('get-bob', 'no-such-order')).toBeUndefined();
    });
  });

  describe('listOrders', () => {
    // 47 orders over 9 distinct milliseconds (up to 6 orders share one), ids in no relation to time or insert order,
    // every status and two symbols; plus another user's orders at the very same times.
    const USER = 'list-carol';
    const mine: OrderRow[] = Array.from({ length: 47 }, (_, i) =>
      anOrder({
        orderId: `lc-${String((i * 7919) % 1000).padStart(3, '0')}`,
        userId: USER,
        createdAt: T0 + Math.floor(i / 6) * 1000 + (i % 6 === 5 ? 1 : 0),
        status: ORDER_STATUSES[(i * 5) % ORDER_STATUSES.length] ?? 'NEW',
        symbol: i % 3 === 0 ? 'ETH-USDT' : 'BTC-USDT',
      }),
    );
    const theirs = mine.map((o) => ({ ...o, orderId: `x${o.orderId}`, userId: 'list-dave' }));

    beforeAll(async () => {
      await insertOrders([...theirs, ...mine].reverse());
    });

    const list = (limit: number, filter: { symbol?: string; statuses?: OrderStatus[] } = {}) =>
      allPages(async (cursor) => {
        const page = await createOrderQueries(db).listOrders(USER, {
          ...filter,
          limit,
          ...(cursor !== undefined && { cursor }),
        });
        return { rows: page.orders, nextCursor: page.nextCursor };
      }, limit);

    it.each([1, 4, 5, 6, 7, 46, 47, 48, 500])(
      'pages through orders sharing timestamps with no gap and no repeat (limit %i)',
      async (limit) => {
        const { rows, pages } = await list(limit);
        expect(rows).toEqual([...mine].sort(newestFirst));
        expect(pages).toBe(Math.max(1, Math.ceil(47 / limit))); // a full last page is not followed by an empty one
      },
    );

    it('reads 50 per page unless told otherwise', async () => {
      const user = 'list-many';
      await insertOrders(
        Array.from({ length: 120 }, (_, i) => anOrder({ orderId: `lm-${i}`, userId: user, createdAt: T0 + i })),
      );
      const q = createOrderQueries(db);
      const first = await q.listOrders(user);
      expect(first.orders).toHaveLength(50);
      expect(first.orders[0]?.orderId).toBe('lm-119');
      expect(first.nextCursor).not.toBeNull();
      expect((await q.listOrders(user, { limit: 500 })).orders).toHaveLength(120);
      await expect(q.listOrders(user, { limit: 501 })).rejects.toMatchObject({ code: 'DB_ERR_QUERY_INVALID' });
      expect((await createOrderQueries(db, { defaultLimit: 7 }).listOrders(user)).orders).toHaveLength(7);
    });

    it.each<[string, OrderStatus[]]>([
      ['one status', ['FILLED']],
      ['open (NEW and PARTIALLY_FILLED)', ['NEW', 'PARTIALLY_FILLED']],
      ['three statuses, given out of order and repeated', ['REJECTED', 'NEW', 'CANCELED', 'NEW']],
      ['every status', [...ORDER_STATUSES]],
    ])('filters by %s, across pages', async (_, statuses) => {
      for (const limit of [1, 3, 50]) {
        const { rows } = await list(limit, { statuses });
        const expected = mine.filter((o) => statuses.includes(o.status)).sort(newestFirst);
        expect(expected.length).toBeGreaterThan(0);
        expect(rows).toEqual(expected);
      }
    });

    it('filters by symbol, with and without statuses', async () => {
      for (const limit of [2, 50]) {
        expect((await list(limit, { symbol: 'ETH-USDT' })).rows).toEqual(
          mine.filter((o) => o.symbol === 'ETH-USDT').sort(newestFirst),
        );
        expect((await list(limit, { symbol: 'ETH-USDT', statuses: ['NEW', 'PARTIALLY_FILLED'] })).rows).toEqual(
          mine
            .filter((o) => o.symbol === 'ETH-USDT' && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'))
            .sort(newestFirst),
        );
      }
      expect((await list(10, { symbol: 'SOL-USDT' })).rows).toEqual([]);
    });

    it('is not shifted by orders placed while a client pages through', async () => {
      const user = 'list-erin';
      const before = Array.from({ length: 10 }, (_, i) =>
        anOrder({ orderId: `le-${String(i).padStart(2, '0')}`, userId: user, createdAt: T0 + Math.floor(i / 2) }),
      );
      await insertOrders(before);
      const q = createOrderQueries(db);
      const first = await q.listOrders(user, { limit: 3 });
      // Newer orders arrive (one in the same millisecond as the newest, with a larger id: ahead of the cursor too).
      await insertOrders([
        anOrder({ orderId: 'le-99', userId: user, createdAt: T0 + 4 }),
        anOrder({ orderId: 'le-50', userId: user, createdAt: T0 + 100 }),
      ]);
      const rest: OrderRow[] = [];
      let cursor = first.nextCursor;
      while (cursor !== null) {
        const page = await q.listOrders(user, { limit: 3, cursor });
        rest.push(...page.orders);
        cursor = page.nextCursor;
      }
      expect([...first.orders, ...rest]).toEqual(before.sort(newestFirst));
    });

    it("never shows another user's orders, whatever the cursor", async () => {
      const q = createOrderQueries(db);
      const cursor = encodeOrderCursor({ createdAt: T0 + 10_000_000, orderId: 'zzz' });
      const page = await q.listOrders('list-dave', { limit: 500, cursor });
      expect(page.orders.map((o) => o.userId)).toEqual(theirs.map(() => 'list-dave'));
      expect((await q.listOrders('list-nobody')).orders).toEqual([]);
    });

    it('refuses altered cursors with DB_ERR_CURSOR_INVALID, and accepts any well-formed position', async () => {
      const q = createOrderQueries(db);
      const page = await q.listOrders(USER, { limit: 5 });
      const cursor = page.nextCursor ?? '';
      for (const bad of [
        `${cursor}x`,
        cursor.slice(1),
        `${cursor.slice(0, 5)}*${cursor.slice(6)}`,
        Buffer.from("['o',1,'a' OR 1=1]").toString('base64url'),
        Buffer.from(`["o",${T0},"a' OR '1'='1"]`).toString('base64url'),
        encodeFillCursor({ executedAt: T0, shardId: 's', seq: 1, liquidity: 'taker' }),
      ])
        await expect(q.listOrders(USER, { limit: 5, cursor: bad })).rejects.toMatchObject({
          code: 'DB_ERR_CURSOR_INVALID',
        });
      // A position between rows (as a client could forge) is simply a place to resume from.
      const between = encodeOrderCursor({ createdAt: T0 + 3000, orderId: 'lc-500' });
      expect((await q.listOrders(USER, { limit: 500, cursor: between })).orders).toEqual(
        mine
          .filter((o) => o.createdAt < T0 + 3000 || (o.createdAt === T0 + 3000 && o.orderId < 'lc-500'))
          .sort(newestFirst),
      );
    });
  });

  describe('listFills and recentTrades', () => {
    const U = 'fill-frank';
    const E0 = T0 + 60_000;
    const E1 = T0 + 61_000;
    const E2 = T0 + 62_000;
    const trades: TradeRow[] = [
      // One taker command swept four makers in one millisecond on shard-1: seq 9 before seq 10, which a string
      // order of trade ids would get wrong.
      aTrade({ shardId: 'shard-1', seq: 8, executedAt: E1 }),
      aTrade({
        shardId: 'shard-1',
        seq: 9,
        executedAt: E1,
        takerUserId: U,
        takerOrderId: 'ff-sweep',
        price: '101.000',
      }),
      aTrade({ shardId: 'shard-1', seq: 10, executedAt: E1, takerUserId: U, takerOrderId: 'ff-sweep', price: '101.5' }),
      aTrade({
        shardId: 'shard-1',
        seq: 11,
        executedAt: E1,
        makerUserId: U,
        makerOrderId: 'ff-rest',
        takerSide: 'SELL',
      }),
      // A self-trade: frank's sell order took frank's resting buy.
      aTrade({
        shardId: 'shard-1',
        seq: 12,
        executedAt: E1,
        takerUserId: U,
        takerOrderId: 'ff-self-t',
        makerUserId: U,
        makerOrderId: 'ff-self-m',
        takerSide: 'SELL',
      }),
      // Same millisecond on another shard.
      aTrade({
        shardId: 'shard-2',
        seq: 3,
        executedAt: E1,
        symbol: 'ETH-USDT',
        makerUserId: U,
        makerOrderId: 'ff-eth',
      }),
      aTrade({
        shardId: 'shard-2',
        seq: 1,
        executedAt: E0,
        symbol: 'ETH-USDT',
        takerUserId: U,
        takerOrderId: 'ff-old',
        takerSide: 'SELL',
      }),
      aTrade({
        shardId: 'shard-1',
        seq: 20,
        executedAt: E2,
        makerUserId: U,
        makerOrderId: 'ff-new',
        quantity: '5.000000',
      }),
      aTrade({ shardId: 'shard-1', seq: 21, executedAt: E2 + 1 }),
    ];

    beforeAll(async () => {
      await insertTrades(trades);
    });

    const fill = (
      tradeId: string,
      orderId: string,
      side: Fill['side'],
      liquidity: Fill['liquidity'],
      executedAt: number,
      more: Partial<Fill> = {},
    ): Fill => ({
      tradeId,
      orderId,
      symbol: 'BTC-USDT',
      side,
      price: '100.5',
      quantity: '0.25',
      liquidity,
      executedAt,
      ...more,
    });

    const FRANKS_FILLS: Fill[] = [
      fill('shard-1-20', 'ff-new', 'SELL', 'maker', E2, { quantity: '5' }),
      fill('shard-2-3', 'ff-eth', 'SELL', 'maker', E1, { symbol: 'ETH-USDT' }),
      fill('shard-1-12', 'ff-self-t', 'SELL', 'taker', E1),
      fill('shard-1-12', 'ff-self-m', 'BUY', 'maker', E1),
      fill('shard-1-11', 'ff-rest', 'BUY', 'maker', E1),
      fill('shard-1-10', 'ff-sweep', 'BUY', 'taker', E1, { price: '101.5' }),
      fill('shard-1-9', 'ff-sweep', 'BUY', 'taker', E1, { price: '101' }),
      fill('shard-2-1', 'ff-old', 'SELL', 'taker', E0, { symbol: 'ETH-USDT' }),
    ];

    const fills = (limit: number, symbol?: string, user = U) =>
      allPages(async (cursor) => {
        const page = await createOrderQueries(db).listFills(user, {
          limit,
          ...(symbol !== undefined && { symbol }),
          ...(cursor !== undefined && { cursor }),
        });
        return { rows: page.fills, nextCursor: page.nextCursor };
      }, limit);

    it.each([1, 2, 3, 4, 7, 8, 9, 50])(
      "lists the user's fills on both sides, a self-trade as two, newest first by shard sequence (limit %i)",
      async (limit) => {
        const { rows, pages } = await fills(limit);
        expect(rows).toEqual(FRANKS_FILLS);
        expect(pages).toBe(Math.ceil(FRANKS_FILLS.length / limit));
      },
    );

    it('ends a page between the two fills of a self-trade and resumes with the second', async () => {
      const q = createOrderQueries(db);
      const first = await q.listFills(U, { limit: 3 });
      expect(first.fills.at(-1)).toMatchObject({ tradeId: 'shard-1-12', liquidity: 'taker' });
      const next = await q.listFills(U, { limit: 1, cursor: first.nextCursor ?? '' });
      expect(next.fills).toEqual([FRANKS_FILLS[3]]);
    });

    it('filters by symbol', async () => {
      expect((await fills(1, 'ETH-USDT')).rows).toEqual(FRANKS_FILLS.filter((f) => f.symbol === 'ETH-USDT'));
      expect((await fills(50, 'BTC-USDT')).rows).toEqual(FRANKS_FILLS.filter((f) => f.symbol === 'BTC-USDT'));
      expect((await fills(50, 'SOL-USDT')).rows).toEqual([]);
      expect((await fills(50, undefined, 'fill-nobody')).rows).toEqual([]);
    });

    it('sees the trades of the other parties from their side only', async () => {
      const { rows } = await fills(50, undefined, 'someone');
      expect(rows.every((f) => f.liquidity === 'taker')).toBe(true);
      expect(rows.map((f) => f.tradeId)).toEqual(['shard-1-21', 'shard-1-20', 'shard-2-3', 'shard-1-11', 'shard-1-8']);
      expect(new Set(rows.map((f) => f.orderId))).toEqual(new Set(['someone-t']));
    });

    it('refuses altered and foreign cursors with DB_ERR_CURSOR_INVALID', async () => {
      const q = createOrderQueries(db);
      const { nextCursor } = await q.listFills(U, { limit: 2 });
      for (const bad of [
        `${nextCursor ?? ''}=`,
        (nextCursor ?? '').slice(0, -2),
        Buffer.from('["f",1,"s",1,"t"] --').toString('base64url'),
        encodeOrderCursor({ createdAt: T0, orderId: 'x' }),
      ])
        await expect(q.listFills(U, { limit: 2, cursor: bad })).rejects.toMatchObject({
          code: 'DB_ERR_CURSOR_INVALID',
        });
    });

    it("sums a symbol's traded quantity exactly over a window that starts at sinceMs", async () => {
      const q = createOrderQueries(db);
      expect(await q.tradeVolume('BTC-USDT', E2)).toEqual({ quantity: '5.25', trades: 2 });
      expect(await q.tradeVolume('BTC-USDT', E2 + 1)).toEqual({ quantity: '0.25', trades: 1 });
      expect(await q.tradeVolume('BTC-USDT', E1)).toEqual({ quantity: '6.5', trades: 7 });
      expect(await q.tradeVolume('ETH-USDT', E0)).toEqual({ quantity: '0.5', trades: 2 });
      expect(await q.tradeVolume('ETH-USDT', E1 + 1)).toEqual({ quantity: '0', trades: 0 });
      expect(await q.tradeVolume('SOL-USDT', E0)).toEqual({ quantity: '0', trades: 0 });
    });

    it("lists a symbol's latest trades without any order or user id", async () => {
      const q = createOrderQueries(db);
      const latest = await q.recentTrades('BTC-USDT', 4);
      expect(latest).toEqual([
        {
          tradeId: 'shard-1-21',
          symbol: 'BTC-USDT',
          price: '100.5',
          quantity: '0.25',
          takerSide: 'BUY',
          executedAt: E2 + 1,
        },
        { tradeId: 'shard-1-20', symbol: 'BTC-USDT', price: '100.5', quantity: '5', takerSide: 'BUY', executedAt: E2 },
        {
          tradeId: 'shard-1-12',
          symbol: 'BTC-USDT',
          price: '100.5',
          quantity: '0.25',
          takerSide: 'SELL',
          executedAt: E1,
        },
        {
          tradeId: 'shard-1-11',
          symbol: 'BTC-USDT',
          price: '100.5',
          quantity: '0.25',
          takerSide: 'SELL',
          executedAt: E1,
        },
      ]);
      expect((await q.recentTrades('BTC-USDT')).map((t) => t.tradeId)).toEqual([
        'shard-1-21',
        'shard-1-20',
        'shard-1-12',
        'shard-1-11',
        'shard-1-10',
        'shard-1-9',
        'shard-1-8',
      ]);
      expect((await q.recentTrades('ETH-USDT', 500)).map((t) => t.tradeId)).toEqual(['shard-2-3', 'shard-2-1']);
      expect(await q.recentTrades('SOL-USDT')).toEqual([]);
    });
  });

  describe('query plans', () => {
    // Enough rows, spread over users and symbols, that the optimizer's choice is the one it makes on a real table
    // (on a handful of rows a full scan is cheapest and says nothing).
    beforeAll(async () => {
      const symbols = ['BLK-A', 'BLK-B', 'BLK-C', 'BLK-D'] as const;
      await insertOrders(
        Array.from({ length: 20_000 }, (_, i) =>
          anOrder({
            orderId: `bulk-${i}`,
            userId: `bulk-user-${i % 200}`,
            createdAt: T0 - 10_000_000 + i * 10,
            symbol: symbols[i % 4] ?? 'BLK-A',
            status: ORDER_STATUSES[(i >> 3) % 6] ?? 'NEW',
          }),
        ),
      );
      await insertTrades(
        Array.from({ length: 20_000 }, (_, i) =>
          aTrade({
            shardId: `bulk-shard-${i % 3}`,
            seq: i,
            executedAt: T0 - 10_000_000 + i * 10,
            symbol: symbols[i % 4] ?? 'BLK-A',
            takerUserId: `bulk-user-${i % 200}`,
            makerUserId: `bulk-user-${(i * 7 + 3) % 200}`,
          }),
        ),
      );
      await db.raw('ANALYZE TABLE ??, ??', [ORDERS_TABLE, TRADES_TABLE]);
    });

    interface PlanRow {
      table: string | null;
      key: string | null;
      Extra: string | null;
      select_type: string;
    }

    /** The plans of every statement `run` sends, with the statement. */
    async function plansOf(run: () => Promise<unknown>): Promise<Array<{ sql: string; plan: PlanRow[] }>> {
      const sent: Array<{ sql: string; bindings: readonly unknown[] }> = [];
      const onQuery = (q: { sql: string; bindings: readonly unknown[] }) => sent.push(q);
      db.on('query', onQuery);
      try {
        await run();
      } finally {
        db.off('query', onQuery);
      }
      const plans = [];
      for (const { sql, bindings } of sent) {
        const [plan] = (await db.raw(`EXPLAIN ${sql}`, bindings as Knex.RawBinding[])) as [PlanRow[]];
        plans.push({ sql, plan });
      }
      return plans;
    }

    /** Each SELECT reads `key`, in index order: no sort but the merge of the ranges' few rows. */
    const expectRanges = (plans: Array<{ sql: string; plan: PlanRow[] }>, keys: string[]) => {
      expect(plans).toHaveLength(1);
      const reads = plans[0]?.plan.filter((r) => r.select_type !== 'UNION RESULT') ?? [];
      expect(reads.map((r) => r.key)).toEqual(keys);
      for (const r of reads) expect(r.Extra ?? '').not.toMatch(/filesort|temporary/i);
    };

    const cursorOrders = encodeOrderCursor({ createdAt: T0 - 5_000_000, orderId: 'bulk-500' });
    const cursorFills = encodeFillCursor({
      executedAt: T0 - 5_000_000,
      shardId: 'bulk-shard-1',
      seq: 500,
      liquidity: 'taker',
    });

    it('getOrder reads one row by the primary key', async () => {
      const q = createOrderQueries(db);
      expectRanges(await plansOf(() => q.getOrder('bulk-user-7', 'bulk-7')), ['PRIMARY']);
    });

    it.each([
      ['no filter', {}, ['ix_orders_user_created']],
      ['a symbol', { symbol: 'BLK-B' }, ['ix_orders_user_created']],
      ['one status', { statuses: ['FILLED'] }, ['ix_orders_user_status_created']],
      [
        'open',
        { statuses: ['NEW', 'PARTIALLY_FILLED'] },
        ['ix_orders_user_status_created', 'ix_orders_user_status_created'],
      ],
    ] as const)('listOrders with %s reads its index in order', async (_, filter, keys) => {
      const q = createOrderQueries(db);
      for (const cursor of [undefined, cursorOrders])
        expectRanges(
          await plansOf(() =>
            q.listOrders('bulk-user-7', {
              ...filter,
              statuses: 'statuses' in filter ? [...filter.statuses] : undefined,
              ...(cursor !== undefined && { cursor }),
            }),
          ),
          [...keys],
        );
    });

    it('listFills reads the taker and the maker index in order, and recentTrades the symbol index', async () => {
      const q = createOrderQueries(db);
      for (const options of [{}, { cursor: cursorFills }, { symbol: 'BLK-A', cursor: cursorFills }])
        expectRanges(await plansOf(() => q.listFills('bulk-user-7', options)), [
          'ix_trades_taker_time',
          'ix_trades_maker_time',
        ]);
      expectRanges(await plansOf(() => q.recentTrades('BLK-A', 100)), ['ix_trades_symbol_time']);
    });
  });
});
