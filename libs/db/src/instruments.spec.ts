import type { InstrumentSpec } from '@shardex/contracts';
import { BTC, TEST } from '@shardex/contracts/testing';
import type { Knex } from 'knex';
import { DB_ERROR_CODES } from './errors';
import { createInstrumentRegistry, InstrumentSetInvalidError, type InstrumentSetToPublish } from './instruments';

/** A knex stand-in that records any use: validation must refuse bad input before a query is even built. */
function untouchableDb() {
  const calls: unknown[][] = [];
  const record = (...args: unknown[]) => {
    calls.push(args);
    throw new Error('the database was asked');
  };
  const db = Object.assign(record, { raw: record, transaction: record }) as unknown as Knex;
  return { db, calls };
}

const AT = new Date(Date.UTC(2026, 10, 24, 12, 0, 0, 123));
const ETH: InstrumentSpec = { ...BTC, symbol: 'ETH-USDT', base: 'ETH' };
const GOOD: InstrumentSetToPublish = {
  instruments: [
    { spec: BTC, shardId: 'shard-a' },
    { spec: ETH, shardId: 'shard-b' },
    { spec: TEST, shardId: 'shard-a' },
  ],
  at: AT,
  createdBy: 'operator@host-1',
};

/** The problems publish refuses `set` with; fails the test when it is not refused that way, or asks the database. */
async function problemsOf(set: unknown): Promise<readonly string[]> {
  const { db, calls } = untouchableDb();
  const err: unknown = await createInstrumentRegistry(db)
    .publish(set as InstrumentSetToPublish)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(InstrumentSetInvalidError);
  expect(err).toMatchObject({ code: 'DB_ERR_INSTRUMENTS_INVALID', retriable: false });
  expect(calls).toEqual([]);
  const problems = (err as InstrumentSetInvalidError).problems;
  // The message carries every problem too (a log line holds the whole story).
  for (const p of problems) expect((err as Error).message).toContain(p);
  return problems;
}

describe('instrument registry: options', () => {
  it.each([
    ['insertBatchSize 0', { insertBatchSize: 0 }],
    ['insertBatchSize 1.5', { insertBatchSize: 1.5 }],
    ['maxAttempts 0', { maxAttempts: 0 }],
    ['maxAttempts NaN', { maxAttempts: Number.NaN }],
  ])('refuses %s with DB_ERR_CONFIG before any query', (_, options) => {
    const { db, calls } = untouchableDb();
    expect(() => createInstrumentRegistry(db, options)).toThrow(expect.objectContaining({ code: 'DB_ERR_CONFIG' }));
    expect(calls).toEqual([]);
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses prune(%s) with DB_ERR_CONFIG before any query', async (keep) => {
    const { db, calls } = untouchableDb();
    await expect(createInstrumentRegistry(db).prune(keep)).rejects.toMatchObject({ code: 'DB_ERR_CONFIG' });
    expect(calls).toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 53, '3'])('refuses load(%s) before any query', async (version) => {
    const { db, calls } = untouchableDb();
    await expect(createInstrumentRegistry(db).load(version as number)).rejects.toMatchObject({
      code: 'DB_ERR_INSTRUMENTS_INVALID',
    });
    expect(calls).toEqual([]);
  });
});

describe('instrument registry: publish validation', () => {
  it('passes a good set through to the database', async () => {
    const { db, calls } = untouchableDb();
    await expect(createInstrumentRegistry(db).publish(GOOD)).rejects.toThrow('the database was asked');
    expect(calls).toHaveLength(1); // the transaction
  });

  it('accepts the limits: a 64-character shard id, a 128-character createdBy, no createdBy at all', async () => {
    for (const set of [
      { ...GOOD, instruments: [{ spec: BTC, shardId: 's'.repeat(64) }], createdBy: 'c'.repeat(128) },
      { instruments: GOOD.instruments, at: AT },
    ]) {
      const { db, calls } = untouchableDb();
      await expect(createInstrumentRegistry(db).publish(set)).rejects.toThrow('the database was asked');
      expect(calls).toHaveLength(1);
    }
  });

  it('refuses an empty set', async () => {
    expect(await problemsOf({ ...GOOD, instruments: [] })).toEqual([
      'the set is empty: it must hold at least one instrument',
    ]);
  });

  it('refuses a missing or non-array instrument list, and a missing input', async () => {
    expect(await problemsOf({ at: AT })).toEqual(['instruments must be an array']);
    expect(await problemsOf({ ...GOOD, instruments: { 0: GOOD.instruments[0] } })).toEqual([
      'instruments must be an array',
    ]);
    expect(await problemsOf(undefined)).toEqual(['at must be a Date', 'instruments must be an array']);
  });

  it('lists every problem of the set, each with its position and symbol', async () => {
    const problems = await problemsOf({
      instruments: [
        { spec: BTC, shardId: 'shard-a' }, // fine
        { spec: { ...ETH, tickSize: '0.003' }, shardId: 'shard-b' }, // fine too
        { spec: { ...TEST, symbol: 'SOL-USDT', minQty: '2000000' }, shardId: 'shard-a' },
        { spec: { ...BTC, symbol: 'XRP-USDT', surprise: true }, shardId: '' },
        { spec: { ...BTC, symbol: 'ADA-USDT' }, shardId: 'x'.repeat(65) },
        { spec: { ...BTC, symbol: 'DOT-USDT' }, shardId: 'has space' },
        { spec: { ...BTC, symbol: 'LTC-USDT', priceScale: 19 } },
        'not an entry',
        { spec: null, shardId: 'shard-a' },
      ],
      at: new Date(Number.NaN),
      createdBy: 'two\nlines',
    });
    expect(problems).toEqual([
      'at must be a valid date in years 1000-9999',
      'createdBy must be 1-128 characters without control characters',
      expect.stringMatching(/^instruments\[2\]: instrument SOL-USDT: minQty is greater than maxQty$/),
      expect.stringMatching(/^instruments\[3\]: instrument XRP-USDT: unknown field "surprise"$/),
      expect.stringMatching(/^instruments\[3\]: instrument XRP-USDT: shardId "" must be 1-64 characters of /),
      expect.stringMatching(/^instruments\[4\]: instrument ADA-USDT: shardId "x{65}" must be 1-64 characters/),
      expect.stringMatching(/^instruments\[5\]: instrument DOT-USDT: shardId "has space" must be/),
      expect.stringMatching(/^instruments\[6\]: instrument LTC-USDT: scales must be integers 0-18$/),
      expect.stringMatching(/^instruments\[6\]: instrument LTC-USDT: shardId undefined must be/),
      'instruments[7]: must be an object { spec, shardId }',
      expect.stringMatching(/^instruments\[8\]: instrument \?: an instrument must be an object$/),
    ]);
  });

  it('refuses a symbol listed twice, naming every position, even when the copies are alike or invalid', async () => {
    const problems = await problemsOf({
      ...GOOD,
      instruments: [
        { spec: BTC, shardId: 'shard-a' },
        { spec: ETH, shardId: 'shard-a' },
        { spec: BTC, shardId: 'shard-b' },
        { spec: { ...ETH, tickSize: 'x' }, shardId: 'shard-a' },
        { spec: BTC, shardId: 'shard-a' },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^instruments\[3\]: instrument ETH-USDT: tickSize: /),
      'instrument BTC-USDT: listed 3 times (instruments[0], instruments[2], instruments[4])',
      'instrument ETH-USDT: listed 2 times (instruments[1], instruments[3])',
    ]);
  });

  it('takes no lower-case copy for a duplicate: the symbol rule refuses it on its own', async () => {
    const problems = await problemsOf({
      ...GOOD,
      instruments: [
        { spec: BTC, shardId: 'shard-a' },
        { spec: { ...BTC, symbol: 'btc-usdt' }, shardId: 'shard-a' },
      ],
    });
    expect(problems).toEqual([expect.stringMatching(/^instruments\[1\]: instrument btc-usdt: symbol must be /)]);
  });

  it('refuses a shard owning more instruments than one INITIALIZE_ENGINE carries', async () => {
    const many = (shardId: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ spec: { ...TEST, symbol: `${shardId.toUpperCase()}-${i}` }, shardId }));
    const problems = await problemsOf({ ...GOOD, instruments: [...many('big', 10_001), ...many('fine', 10_000)] });
    expect(problems).toEqual(['shard big: owns 10001 instruments, more than one INITIALIZE_ENGINE carries (10000)']);
  });

  it('refuses a time that is not a Date or is outside the DATETIME range', async () => {
    expect(await problemsOf({ ...GOOD, at: AT.getTime() })).toEqual(['at must be a Date']);
    expect(await problemsOf({ ...GOOD, at: new Date(Date.UTC(10_000, 0, 1)) })).toEqual([
      'at must be a valid date in years 1000-9999',
    ]);
  });

  it.each([[''], ['c'.repeat(129)], [7], ['tab\there']])('refuses createdBy %j', async (createdBy) => {
    expect(await problemsOf({ ...GOOD, createdBy })).toEqual([
      'createdBy must be 1-128 characters without control characters',
    ]);
  });

  it('documents its codes', () => {
    expect(DB_ERROR_CODES.DB_ERR_INSTRUMENTS_INVALID.length).toBeGreaterThan(15);
    expect(DB_ERROR_CODES.DB_ERR_INSTRUMENTS_CORRUPT.length).toBeGreaterThan(15);
  });
});
