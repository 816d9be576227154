import fc from 'fast-check';
import { BTC, TEST } from './testing';
import {
  compileInstrument,
  DEFAULT_MAX_OPEN_ORDERS,
  DEFAULT_MAX_OPEN_ORDERS_PER_USER,
  type InstrumentSpec,
  instrumentSpec,
  lotsToQuantity,
  MAX_OPEN_ORDERS_LIMIT,
  priceTicksOrInvalid,
  priceToTicks,
  quantityLotsOrInvalid,
  quantityToLots,
  ticksToPrice,
} from './instrument';
import { CONTRACT_ERROR_CODES, ContractError, unwrap } from './errors';
import { REJECT_REASONS } from './events';

describe('instruments', () => {
  const btc = unwrap(compileInstrument(BTC));

  it('derives integer forms and defaults', () => {
    expect(btc).toMatchObject({
      tickScale: 2,
      tickUnits: 1,
      lotScale: 5,
      lotUnits: 1,
      minLots: 10,
      maxLots: 100_000_000,
    });
    expect(btc.marketPriceBandBps).toBe(500);
    expect(btc.selfTradePrevention).toBe('CANCEL_NEWEST');
    expect(btc.maxOpenOrders).toBe(DEFAULT_MAX_OPEN_ORDERS);
    expect(btc.maxOpenOrdersPerUser).toBe(DEFAULT_MAX_OPEN_ORDERS_PER_USER);
    expect([DEFAULT_MAX_OPEN_ORDERS, DEFAULT_MAX_OPEN_ORDERS_PER_USER, MAX_OPEN_ORDERS_LIMIT]).toEqual([
      1_000_000, 1_000, 10_000_000,
    ]);
    expect(Object.isFrozen(btc)).toBe(true);
  });

  it('converts prices and quantities both ways at the instrument scale', () => {
    expect(unwrap(priceToTicks(btc, '65000.25'))).toBe(6_500_025);
    expect(ticksToPrice(btc, 6_500_025)).toBe('65000.25000000');
    expect(unwrap(quantityToLots(btc, '0.5'))).toBe(50_000);
    expect(lotsToQuantity(btc, 50_000)).toBe('0.500000000000000000');
  });

  it('enforces min and max quantity with their own codes', () => {
    expect(quantityToLots(btc, '0.00001')).toMatchObject({ ok: false, code: 'MONEY_ERR_MIN_QTY' });
    expect(quantityToLots(btc, '1000.00001')).toMatchObject({ ok: false, code: 'MONEY_ERR_MAX_QTY' });
    expect(quantityToLots(btc, '0.000015')).toMatchObject({ ok: false, code: 'MONEY_ERR_OFF_LOT' });
  });

  it.each<[string, Partial<InstrumentSpec>]>([
    ['lower-case symbol', { symbol: 'btc-usdt' }],
    ['scale out of range', { priceScale: 19 }],
    ['tick finer than the scale', { tickSize: '0.000000001' }],
    ['zero lot', { lotSize: '0' }],
    ['min above max', { minQty: '2000' }],
    ['min off lot', { minQty: '0.000015' }],
    ['bad band', { marketPriceBandBps: 0 }],
    ['band above 100000', { marketPriceBandBps: 100_001 }],
    ['fractional band', { marketPriceBandBps: 1.5 }],
    ['unknown STP mode', { selfTradePrevention: 'CANCEL_ALL' as 'NONE' }],
    ['zero maxOpenOrders', { maxOpenOrders: 0 }],
    ['maxOpenOrders above 10,000,000', { maxOpenOrders: 10_000_001 }],
    ['fractional maxOpenOrders', { maxOpenOrders: 2.5 }],
    ['string maxOpenOrders', { maxOpenOrders: '5' as unknown as number }],
    ['zero maxOpenOrdersPerUser', { maxOpenOrdersPerUser: 0 }],
    ['maxOpenOrdersPerUser above maxOpenOrders', { maxOpenOrders: 10, maxOpenOrdersPerUser: 11 }],
    ['maxOpenOrdersPerUser above 10,000,000', { maxOpenOrdersPerUser: 10_000_001 }],
    ['numeric base', { base: 123 as unknown as string }],
    ['numeric quote', { quote: 7 as unknown as string }],
    ['numeric tick size', { tickSize: 0.01 as unknown as string }],
    ['numeric maxQty', { maxQty: 1000 as unknown as string }],
    ['null lot size', { lotSize: null as unknown as string }],
    ['an unknown field', { hack: 1 } as Partial<InstrumentSpec>],
  ])('refuses %s', (_why, change) => {
    expect(compileInstrument({ ...BTC, ...change })).toMatchObject({ ok: false, code: 'INSTRUMENT_ERR_INVALID' });
  });

  it('takes the caps at their bounds, and defaults the per-user cap to at most the symbol cap', () => {
    const at = (change: Partial<InstrumentSpec>) => unwrap(compileInstrument({ ...BTC, ...change }));
    expect(at({ maxOpenOrders: 1, maxOpenOrdersPerUser: 1 })).toMatchObject({
      maxOpenOrders: 1,
      maxOpenOrdersPerUser: 1,
    });
    expect(at({ maxOpenOrders: 10_000_000, maxOpenOrdersPerUser: 10_000_000 })).toMatchObject({
      maxOpenOrders: 10_000_000,
      maxOpenOrdersPerUser: 10_000_000,
    });
    expect(at({ maxOpenOrders: 50 }).maxOpenOrdersPerUser).toBe(50);
    expect(at({ maxOpenOrders: 1000 }).maxOpenOrdersPerUser).toBe(1000);
    expect(at({ maxOpenOrders: 1001 }).maxOpenOrdersPerUser).toBe(1000);
    expect(at({ maxOpenOrdersPerUser: 5 })).toMatchObject({ maxOpenOrders: 1_000_000, maxOpenOrdersPerUser: 5 });
    expect(at({ marketPriceBandBps: 1 }).marketPriceBandBps).toBe(1);
    expect(at({ marketPriceBandBps: 100_000 }).marketPriceBandBps).toBe(100_000);
  });

  it('says which rule a spec broke', () => {
    const why = (change: Partial<InstrumentSpec> | unknown) => {
      const r = compileInstrument(
        typeof change === 'object' && change !== null ? { ...BTC, ...change } : (change as InstrumentSpec),
      );
      return r.ok ? 'ok' : r.message;
    };
    expect(why(null)).toBe('instrument ?: an instrument must be an object');
    expect(why({ symbol: 5 })).toBe(
      'instrument ?: symbol must be 1-32 of A-Z 0-9 . _ / -, starting with a letter or digit',
    );
    expect(why({ extra: true })).toBe('instrument BTC-USDT: unknown field "extra"');
    expect(why({ base: 'b' })).toBe('instrument BTC-USDT: base and quote must be 1-16 of A-Z 0-9');
    expect(why({ quantityScale: -1 })).toBe('instrument BTC-USDT: scales must be integers 0-18');
    expect(why({ minQty: 1 })).toBe(
      'instrument BTC-USDT: tickSize, lotSize, minQty and maxQty must be decimal strings',
    );
    expect(why({ maxOpenOrders: 0 })).toBe('instrument BTC-USDT: maxOpenOrders must be an integer 1-10000000');
    expect(why({ maxOpenOrders: 3, maxOpenOrdersPerUser: 4 })).toBe(
      'instrument BTC-USDT: maxOpenOrdersPerUser must be an integer 1-3 (at most maxOpenOrders)',
    );
  });

  it('returns a failure, never throws, for any input', () => {
    const fields = Object.keys(BTC).concat('marketPriceBandBps', 'selfTradePrevention', 'maxOpenOrders');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.constantFrom(null, undefined, 0, 42, 'BTC', [], [BTC], {}, Object.create(null)),
          // A valid spec with one field of the wrong type (or hostile to String()).
          fc
            .record({
              field: fc.constantFrom(...fields),
              value: fc.oneof(fc.anything(), fc.constantFrom({ toString: 1, valueOf: 1 }, [], 1.5, -1)),
            })
            .map(({ field, value }) => ({ ...BTC, [field]: value })),
        ),
        (input) => {
          const r = compileInstrument(input);
          expect(typeof r.ok).toBe('boolean');
          if (r.ok) expect(compileInstrument(instrumentSpec(r.value))).toEqual(r);
        },
      ),
      { numRuns: fc.readConfigureGlobal().numRuns ?? 500 },
    );
  });

  it('round-trips through instrumentSpec, caps included', () => {
    for (const spec of [BTC, TEST, { ...TEST, maxOpenOrders: 20, maxOpenOrdersPerUser: 3 }]) {
      const compiled = unwrap(compileInstrument(spec));
      const back = instrumentSpec(compiled);
      expect(back).toEqual({
        marketPriceBandBps: 500,
        selfTradePrevention: 'CANCEL_NEWEST',
        maxOpenOrders: DEFAULT_MAX_OPEN_ORDERS,
        maxOpenOrdersPerUser: DEFAULT_MAX_OPEN_ORDERS_PER_USER,
        ...spec,
      });
      expect(compileInstrument(back)).toEqual({ ok: true, value: compiled });
    }
  });

  it('has allocation-free forms that agree with the coded ones', () => {
    expect(priceTicksOrInvalid(btc, '65000.25')).toBe(6_500_025);
    expect(priceTicksOrInvalid(btc, 65000)).toBe(-1);
    expect(priceTicksOrInvalid(btc, '0')).toBe(-1);
    expect(priceTicksOrInvalid(btc, '65000.255')).toBe(-1);
    expect(quantityLotsOrInvalid(btc, '0.5')).toBe(50_000);
    expect(quantityLotsOrInvalid(btc, 0.5)).toBe(-1);
    expect(quantityLotsOrInvalid(btc, '0.0001')).toBe(10);
    expect(quantityLotsOrInvalid(btc, '0.00009')).toBe(-1);
    expect(quantityLotsOrInvalid(btc, '1000')).toBe(100_000_000);
    expect(quantityLotsOrInvalid(btc, '1000.00001')).toBe(-1);
  });

  it('formats a bigint sum of lots exactly', () => {
    const lots = 3n * 2n ** 53n + 1n;
    expect(lotsToQuantity(btc, lots)).toBe(
      `${(lots / 100_000n).toString()}.${(lots % 100_000n).toString().padStart(5, '0')}0000000000000`,
    );
    expect(lotsToQuantity(unwrap(compileInstrument(TEST)), lots)).toBe(lots.toString());
  });
});

describe('reject reasons', () => {
  it('documents every reason in one line', () => {
    for (const [reason, doc] of Object.entries(REJECT_REASONS)) {
      expect(reason).toMatch(/^[A-Z_]+$/);
      expect(doc.length).toBeGreaterThan(15);
      expect(doc).not.toContain('\n');
    }
    expect(Object.keys(REJECT_REASONS)).toEqual(
      expect.arrayContaining([
        'DUPLICATE_COMMAND',
        'STALE_COMMAND',
        'MAX_OPEN_ORDERS',
        'MAX_OPEN_ORDERS_PER_USER',
        'DUPLICATE_ORDER_ID',
      ]),
    );
  });
});

describe('contract errors', () => {
  it('documents every code and throws them only through unwrap', () => {
    for (const [c, doc] of Object.entries(CONTRACT_ERROR_CODES)) {
      expect(c).toMatch(/^[A-Z]+_ERR_[A-Z_]+$/);
      expect(doc.length).toBeGreaterThan(15);
    }
    expect(() => unwrap({ ok: false, code: 'MONEY_ERR_ZERO', message: 'm' })).toThrow(ContractError);
  });
});
