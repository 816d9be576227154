import type { Knex } from 'knex';
import { CLIENT_ORDER_ID_PATTERN, createClientOrderStore, MIN_CLIENT_ORDER_RETENTION_MS } from './client-orders';
import { DB_ERROR_CODES } from './errors';

/** A knex stand-in that records any use: validation must refuse bad input before a query is even built. */
function untouchableDb() {
  const calls: unknown[][] = [];
  const db = Object.assign(
    (...args: unknown[]) => {
      calls.push(args);
      throw new Error('the database was asked');
    },
    {
      raw: (...args: unknown[]) => {
        calls.push(args);
        throw new Error('the database was asked');
      },
    },
  ) as unknown as Knex;
  return { db, calls };
}

const AT = new Date(Date.UTC(2026, 10, 24, 12, 0, 0, 123));
const GOOD = {
  userId: 'user-1',
  clientOrderId: 'my-order#1',
  orderId: '01JDQ8Z3K4M5N6P7Q8R9S0T1UV',
  symbol: 'BTC-USDT',
  command: '{"type":"PLACE_ORDER"}',
  at: AT,
};
const invalidCode = expect.objectContaining({ code: 'DB_ERR_CLIENT_ORDER_INVALID' });
const configCode = expect.objectContaining({ code: 'DB_ERR_CONFIG' });

describe('clientOrderId store: options', () => {
  it.each([
    ['a day less a millisecond', MIN_CLIENT_ORDER_RETENTION_MS - 1],
    ['zero', 0],
    ['negative', -MIN_CLIENT_ORDER_RETENTION_MS],
    ['fractional', MIN_CLIENT_ORDER_RETENTION_MS + 0.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('refuses a retention that is %s with DB_ERR_CONFIG', (_, retentionMs) => {
    const { db, calls } = untouchableDb();
    expect(() => createClientOrderStore(db, { retentionMs })).toThrow(configCode);
    expect(calls).toEqual([]);
  });

  it('accepts exactly 24 hours, and defaults to 7 days', () => {
    const { db } = untouchableDb();
    expect(MIN_CLIENT_ORDER_RETENTION_MS).toBe(86_400_000);
    expect(() => createClientOrderStore(db, { retentionMs: 86_400_000 })).not.toThrow();
    expect(() => createClientOrderStore(db)).not.toThrow();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a purge batch of %s before any query', async (batch) => {
    const { db, calls } = untouchableDb();
    await expect(createClientOrderStore(db).purge(AT, { batch })).rejects.toThrow(configCode);
    expect(calls).toEqual([]);
  });

  it('refuses a purge time that is not a date, or whose cutoff leaves the DATETIME range', async () => {
    const { db, calls } = untouchableDb();
    const store = createClientOrderStore(db);
    await expect(store.purge(new Date(Number.NaN))).rejects.toThrow(invalidCode);
    await expect(store.purge(new Date(Date.UTC(1000, 0, 2)))).rejects.toThrow(invalidCode); // cutoff in year 999
    await expect(store.purge(AT.getTime() as unknown as Date)).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });
});

describe('clientOrderId store: input validation', () => {
  it('accepts every printable ASCII character but the space in a clientOrderId, up to 64 of them', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    for (let i = 0; i < printable.length; i += 64)
      expect(CLIENT_ORDER_ID_PATTERN.test(printable.slice(i, i + 64))).toBe(true);
    expect(CLIENT_ORDER_ID_PATTERN.test('x'.repeat(64))).toBe(true);
    for (const bad of ['', ' ', 'a b', 'x'.repeat(65), 'tab\there', 'new\nline', 'caf\u00e9', '\u007f', 'end\n'])
      expect(CLIENT_ORDER_ID_PATTERN.test(bad)).toBe(false);
  });

  it.each([
    ['userId empty', { userId: '' }],
    ['userId too long', { userId: 'u'.repeat(65) }],
    ['userId with a space', { userId: 'user 1' }],
    ['userId not a string', { userId: 7 }],
    ['clientOrderId empty', { clientOrderId: '' }],
    ['clientOrderId too long', { clientOrderId: 'c'.repeat(65) }],
    ['clientOrderId with a space', { clientOrderId: 'my order' }],
    ['clientOrderId non-ASCII', { clientOrderId: 'ordre-\u00e9' }],
    ['clientOrderId with a control character', { clientOrderId: 'a\u0000b' }],
    ['clientOrderId missing', { clientOrderId: undefined }],
    ['orderId empty', { orderId: '' }],
    ['orderId too long', { orderId: 'o'.repeat(65) }],
    ['orderId with a slash', { orderId: 'a/b' }],
    ['symbol empty', { symbol: '' }],
    ['symbol lower-case', { symbol: 'btc-usdt' }],
    ['symbol too long', { symbol: 'B'.repeat(33) }],
    ['command empty', { command: '' }],
    ['command not a string', { command: { type: 'PLACE_ORDER' } }],
    ['at not a Date', { at: AT.getTime() }],
    ['at an invalid Date', { at: new Date('nonsense') }],
    ['at before year 1000', { at: new Date(Date.UTC(999, 0, 1)) }],
  ])('reserve refuses %s with DB_ERR_CLIENT_ORDER_INVALID before any query', async (_, override) => {
    const { db, calls } = untouchableDb();
    const input = { ...GOOD, ...override } as unknown as Parameters<
      ReturnType<typeof createClientOrderStore>['reserve']
    >[0];
    await expect(createClientOrderStore(db).reserve(input)).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });

  it('reserve refuses a missing input object the same way', async () => {
    const { db, calls } = untouchableDb();
    await expect(createClientOrderStore(db).reserve(undefined as never)).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });

  it('accepts the limits themselves (64-character ids, 32-character symbol) as far as the query', async () => {
    const { db, calls } = untouchableDb();
    const input = {
      ...GOOD,
      userId: 'u'.repeat(64),
      clientOrderId: '~'.repeat(64),
      orderId: 'o'.repeat(64),
      symbol: 'B'.repeat(32),
    };
    await expect(createClientOrderStore(db).reserve(input)).rejects.toThrow('the database was asked');
    expect(calls).toHaveLength(1);
  });

  it('markSent and find validate their keys (and markSent its time) before any query', async () => {
    const { db, calls } = untouchableDb();
    const store = createClientOrderStore(db);
    await expect(store.markSent('', 'c1', AT)).rejects.toThrow(invalidCode);
    await expect(store.markSent('user-1', 'with space', AT)).rejects.toThrow(invalidCode);
    await expect(store.markSent('user-1', 'c1', new Date(Number.NaN))).rejects.toThrow(invalidCode);
    await expect(store.find('user 1', 'c1')).rejects.toThrow(invalidCode);
    await expect(store.find('user-1', 'c'.repeat(65))).rejects.toThrow(invalidCode);
    expect(calls).toEqual([]);
  });

  it('documents its codes', () => {
    expect(DB_ERROR_CODES.DB_ERR_CLIENT_ORDER_INVALID.length).toBeGreaterThan(15);
    expect(DB_ERROR_CODES.DB_ERR_ORDER_ID_TAKEN.length).toBeGreaterThan(15);
  });
});
