import { BTC } from './testing';
import {
  compileInstrument,
  type InstrumentSpec,
  lotsToQuantity,
  priceToTicks,
  quantityToLots,
  ticksToPrice,
} from './instrument';
import { CONTRACT_ERROR_CODES, ContractError, unwrap } from './errors';

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
  ])('refuses %s', (_why, change) => {
    expect(compileInstrument({ ...BTC, ...change })).toMatchObject({ ok: false, code: 'INSTRUMENT_ERR_INVALID' });
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
