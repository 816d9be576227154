import fc from 'fast-check';
import type { Knex } from 'knex';
import { DB_ERROR_CODES } from './errors';
import {
  createOrderQueries,
  decodeFillCursor,
  decodeOrderCursor,
  encodeFillCursor,
  encodeOrderCursor,
  MAX_PAGE_LIMIT,
  trimDecimal,
} from './order-queries';

/** A knex stand-in that records any use: validation must refuse bad input before a query is even built. */
function untouchableDb() {
  const calls: unknown[][] = [];
  const refuse = (...args: unknown[]) => {
    calls.push(args);
    throw new Error('the database was asked');
  };
  const db = Object.assign(refuse, { raw: refuse }) as unknown as Knex;
  return { db, calls };
}

const invalidCode = expect.objectContaining({ code: 'DB_ERR_QUERY_INVALID', retriable: false });
const cursorCode = expect.objectContaining({ code: 'DB_ERR_CURSOR_INVALID', retriable: false });
const configCode = expect.objectContaining({ code: 'DB_ERR_CONFIG' });

const T = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const ORDER_CURSOR = encodeOrderCursor({ createdAt: T, orderId: '01JDQ8Z3K4M5N6P7Q8R9S0T1UV' });
const FILL_CURSOR = encodeFillCursor({ executedAt: T, shardId: 'shard-1', seq: 42, liquidity: 'taker' });

describe('order queries: options', () => {
  it.each([
    ['maxLimit 0', { maxLimit: 0 }],
    ['maxLimit past the hard maximum', { maxLimit: MAX_PAGE_LIMIT + 1 }],
    ['maxLimit fractional', { maxLimit: 10.5 }],
    ['defaultLimit 0', { defaultLimit: 0 }],
    ['defaultLimit above maxLimit', { defaultLimit: 101, maxLimit: 100 }],
    ['defaultLimit above the default maxLimit', { defaultLimit: 501 }],
    ['defaultLimit NaN', { defaultLimit: Number.NaN }],
  ])('refuses %s with DB_ERR_CONFIG', (_, options) => {
    const { db, calls } = untouchableDb();
    expect(() => createOrderQueries(db, options)).toThrow(configCode);
    expect(calls).toEqual([]);
  });

  it('accepts the bounds themselves', () => {
    const { db } = untouchableDb();
    expect(() => createOrderQueries(db)).not.toThrow();
    expect(() => createOrderQueries(db, { maxLimit: MAX_PAGE_LIMIT, defaultLimit: MAX_PAGE_LIMIT })).not.toThrow();
    expect(() => createOrderQueries(db, { maxLimit: 1, defaultLimit: 1 })).not.toThrow();
  });
});

describe('order queries: input checks before any query', () => {
  const queries = () => {
    const { db, calls } = untouchableDb();
    return { q: createOrderQueries(db), calls };
  };

  it.each([
    ['an empty user id', '', 'o-1'],
    ['a user id with a space', 'user 1', 'o-1'],
    ['a user id too long', 'u'.repeat(65), 'o-1'],
    ['a user id that is not a string', 7, 'o-1'],
    ['an empty order id', 'user-1', ''],
    ['an order id with a slash', 'user-1', 'a/b'],
    ['an order id too long', 'user-1', 'o'.repeat(65)],
    ['a missing order id', 'user-1', undefined],
  ])('getOrder refuses %s', async (_, userId, orderId) => {
    const { q, calls } = queries();
    await expect(q.getOrder(userId as string, orderId as string)).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a bad user id', 'user 1', {}],
    ['a lower-case symbol', 'user-1', { symbol: 'btc-usdt' }],
    ['an empty symbol', 'user-1', { symbol: '' }],
    ['a symbol too long', 'user-1', { symbol: 'B'.repeat(33) }],
    ['a status filter given as one string', 'user-1', { statuses: 'NEW' }],
    ['an empty status filter', 'user-1', { statuses: [] }],
    ['an empty status set', 'user-1', { statuses: new Set() }],
    ['an unknown status', 'user-1', { statuses: ['NEW', 'OPEN'] }],
    ['a lower-case status', 'user-1', { statuses: ['new'] }],
    ['a status filter that is not a list', 'user-1', { statuses: { NEW: true } }],
    ['a null status filter', 'user-1', { statuses: null }],
    ['limit 0', 'user-1', { limit: 0 }],
    ['limit 501', 'user-1', { limit: 501 }],
    ['a fractional limit', 'user-1', { limit: 2.5 }],
    ['a limit as a string', 'user-1', { limit: '10' }],
    ['a NaN limit', 'user-1', { limit: Number.NaN }],
    ['a garbage cursor', 'user-1', { cursor: 'not a cursor!' }],
    ['an empty cursor', 'user-1', { cursor: '' }],
    ["a fills listing's cursor", 'user-1', { cursor: FILL_CURSOR }],
  ])('listOrders refuses %s', async (_, userId, options) => {
    const { q, calls } = queries();
    const isCursor = 'cursor' in options;
    await expect(q.listOrders(userId, options as never)).rejects.toThrow(isCursor ? cursorCode : invalidCode);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a bad user id', '', {}],
    ['a bad symbol', 'user-1', { symbol: 'BTC USDT' }],
    ['limit 0', 'user-1', { limit: 0 }],
    ['limit 501', 'user-1', { limit: 501 }],
    ["an orders listing's cursor", 'user-1', { cursor: ORDER_CURSOR }],
    ['a cursor that is not a string', 'user-1', { cursor: 12 }],
  ])('listFills refuses %s', async (_, userId, options) => {
    const { q, calls } = queries();
    const isCursor = 'cursor' in options;
    await expect(q.listFills(userId, options as never)).rejects.toThrow(isCursor ? cursorCode : invalidCode);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a lower-case symbol', 'btc-usdt', 10],
    ['a missing symbol', undefined, 10],
    ['limit 0', 'BTC-USDT', 0],
    ['limit 501', 'BTC-USDT', 501],
    ['a negative limit', 'BTC-USDT', -1],
  ])('recentTrades refuses %s', async (_, symbol, limit) => {
    const { q, calls } = queries();
    await expect(q.recentTrades(symbol as string, limit)).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a lower-case symbol', 'btc-usdt', Date.UTC(2026, 0, 1)],
    ['a time that is not an integer', 'BTC-USDT', 1.5],
    ['a time past DATETIME', 'BTC-USDT', Date.UTC(10000, 0, 1)],
    ['a time that is not a number', 'BTC-USDT', '2026-01-01'],
  ])('tradeVolume refuses %s', async (_, symbol, since) => {
    const { q, calls } = queries();
    await expect(q.tradeVolume(symbol, since as number)).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });

  it('goes as far as the query with the limits themselves and every status', async () => {
    const { q, calls } = queries();
    const statuses = ['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED'] as const;
    await expect(q.getOrder('u'.repeat(64), 'o'.repeat(64))).rejects.toThrow('the database was asked');
    await expect(q.listOrders('user-1', { limit: 500, statuses, cursor: ORDER_CURSOR })).rejects.toThrow(
      'the database was asked',
    );
    await expect(q.listFills('user-1', { limit: 1, symbol: 'B'.repeat(32), cursor: FILL_CURSOR })).rejects.toThrow(
      'the database was asked',
    );
    await expect(q.recentTrades('BTC-USDT')).rejects.toThrow('the database was asked');
    expect(calls).toHaveLength(4);
  });

  it('takes its limit bound from the options', async () => {
    const { db, calls } = untouchableDb();
    const q = createOrderQueries(db, { maxLimit: 20, defaultLimit: 5 });
    await expect(q.recentTrades('BTC-USDT', 21)).rejects.toThrow(/from 1 to 20/);
    await expect(q.recentTrades('BTC-USDT', 20)).rejects.toThrow('the database was asked');
    expect(calls).toHaveLength(1);
  });

  it('documents its codes', () => {
    expect(DB_ERROR_CODES.DB_ERR_QUERY_INVALID.length).toBeGreaterThan(15);
    expect(DB_ERROR_CODES.DB_ERR_CURSOR_INVALID.length).toBeGreaterThan(15);
  });
});

describe('page cursors', () => {
  it('are opaque base64url and read back exactly', () => {
    expect(ORDER_CURSOR).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeOrderCursor(ORDER_CURSOR)).toEqual({ createdAt: T, orderId: '01JDQ8Z3K4M5N6P7Q8R9S0T1UV' });
    expect(decodeFillCursor(FILL_CURSOR)).toEqual({ executedAt: T, shardId: 'shard-1', seq: 42, liquidity: 'taker' });
    const maker = encodeFillCursor({ executedAt: 0, shardId: 's', seq: 0, liquidity: 'maker' });
    expect(decodeFillCursor(maker)).toEqual({ executedAt: 0, shardId: 's', seq: 0, liquidity: 'maker' });
  });

  it('round-trip every key the tables can hold', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
    const time = fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });
    fc.assert(
      fc.property(time, id, (createdAt, orderId) => {
        const cursor = encodeOrderCursor({ createdAt, orderId });
        expect(cursor.length).toBeLessThanOrEqual(512);
        expect(decodeOrderCursor(cursor)).toEqual({ createdAt, orderId });
      }),
    );
    fc.assert(
      fc.property(
        time,
        id,
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('taker', 'maker'),
        (executedAt, shardId, seq, liquidity) => {
          const key = { executedAt, shardId, seq, liquidity } as const;
          const cursor = encodeFillCursor(key);
          expect(cursor.length).toBeLessThanOrEqual(512);
          expect(decodeFillCursor(cursor)).toEqual(key);
        },
      ),
    );
  });

  it.each([
    ['characters outside base64url', 'WyJvIiwxLCJhIl0='],
    ['a space', 'WyJv IiwxLCJhIl0'],
    ['too many characters', 'A'.repeat(513)],
    ['no JSON', b64('o:1767225600000:a')],
    ['a JSON object', b64('{"t":1767225600000,"id":"a"}')],
    ['another tag', b64('["f",1767225600000,"a"]')],
    ['an element too many', b64('["o",1767225600000,"a",1]')],
    ['an element too few', b64('["o",1767225600000]')],
    ['a time as a string', b64('["o","1767225600000","a"]')],
    ['a fractional time', b64('["o",1767225600000.5,"a"]')],
    ['a time before year 1000', b64(`["o",${Date.UTC(999, 11, 31)},"a"]`)],
    ['a time after year 9999', b64(`["o",${Date.UTC(10000, 0, 1)},"a"]`)],
    ['an order id with a quote', b64('["o",1767225600000,"a\'b"]')],
    ['an order id too long', b64(`["o",1767225600000,"${'a'.repeat(65)}"]`)],
    ['an empty order id', b64('["o",1767225600000,""]')],
    ['a null order id', b64('["o",1767225600000,null]')],
  ])('refuses an orders cursor with %s', (_, cursor) => {
    expect(() => decodeOrderCursor(cursor)).toThrow(cursorCode);
  });

  it('refuses a second spelling of a valid cursor (stray bits in the last character)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const canonical = b64('["o",1767225600000,"a"]'); // 23 bytes: the last character carries 2 unused bits
    const last = alphabet.indexOf(canonical.slice(-1));
    const stray = canonical.slice(0, -1) + (alphabet[last | 1] ?? '');
    expect(Buffer.from(stray, 'base64url').equals(Buffer.from(canonical, 'base64url'))).toBe(true);
    expect(decodeOrderCursor(canonical)).toEqual({ createdAt: 1767225600000, orderId: 'a' });
    expect(() => decodeOrderCursor(stray)).toThrow(/not canonical/);
  });

  it.each([
    ['the orders tag', b64('["o",1767225600000,"s",1,"t"]')],
    ['a negative seq', b64('["f",1767225600000,"s",-1,"t"]')],
    ['a fractional seq', b64('["f",1767225600000,"s",1.5,"t"]')],
    ['a seq past 2^53', b64('["f",1767225600000,"s",9007199254740993,"t"]')],
    ['a seq as a string', b64('["f",1767225600000,"s","1","t"]')],
    ['a shard id with a space', b64('["f",1767225600000,"s 1",1,"t"]')],
    ['an unknown side', b64('["f",1767225600000,"s",1,"x"]')],
    ['a side spelled out', b64('["f",1767225600000,"s",1,"taker"]')],
  ])('refuses a fills cursor with %s', (_, cursor) => {
    expect(() => decodeFillCursor(cursor)).toThrow(cursorCode);
  });

  it('refuses any alteration with a coded error, never another exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (cursor) => {
        for (const decodeCursor of [decodeOrderCursor, decodeFillCursor]) {
          try {
            decodeCursor(cursor);
          } catch (err) {
            expect(err).toEqual(cursorCode);
          }
        }
      }),
    );
    // Every single-character change of real cursors: refused with the code, or (seldom: a digit of the time or a
    // character of an id) another valid key.
    let altered = 0;
    let refused = 0;
    for (const [cursor, decodeCursor] of [
      [ORDER_CURSOR, decodeOrderCursor],
      [FILL_CURSOR, decodeFillCursor],
    ] as const) {
      for (let i = 0; i < cursor.length; i++)
        for (const c of 'AZaz09-_=+/.') {
          const changed = cursor.slice(0, i) + c + cursor.slice(i + 1);
          if (changed === cursor) continue;
          altered++;
          try {
            decodeCursor(changed);
          } catch (err) {
            expect(err).toEqual(cursorCode);
            refused++;
          }
        }
    }
    expect(refused / altered).toBeGreaterThan(0.8);
  });
});

describe('decimal columns', () => {
  it.each([
    ['100.500000000000000000', '100.5'],
    ['100.000000000000000000', '100'],
    ['0.000000000000000000', '0'],
    ['0.000000000000000001', '0.000000000000000001'],
    ['123456789012345678.123456789012345678', '123456789012345678.123456789012345678'],
    ['10.010000000000000000', '10.01'],
    ['1000', '1000'],
    ['0', '0'],
  ])('reads %s as %s', (text, expected) => {
    expect(trimDecimal(text)).toBe(expected);
  });
});
