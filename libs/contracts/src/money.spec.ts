import fc from 'fast-check';
import { formatSteps, formatUnits, parseSteps, parseUnits, stepOf } from './money';

const code = (r: { ok: boolean; code?: string }) => (r.ok ? 'ok' : r.code);

describe('parseUnits', () => {
  it.each([
    ['0', 2, 0],
    ['12', 2, 1200],
    ['12.3', 2, 1230],
    ['12.34', 2, 1234],
    ['12.340000', 2, 1234],
    ['0007.5', 1, 75],
    ['9007199254740991', 0, Number.MAX_SAFE_INTEGER],
  ])('%s at scale %i → %i', (input, scale, units) => {
    expect(parseUnits(input, scale)).toEqual({ ok: true, value: units });
  });

  it.each([
    [12.5, 'MONEY_ERR_NOT_STRING'],
    [null, 'MONEY_ERR_FORMAT'],
    ['', 'MONEY_ERR_FORMAT'],
    [' 1', 'MONEY_ERR_FORMAT'],
    ['1 ', 'MONEY_ERR_FORMAT'],
    ['+1', 'MONEY_ERR_FORMAT'],
    ['1,000', 'MONEY_ERR_FORMAT'],
    ['.5', 'MONEY_ERR_FORMAT'],
    ['5.', 'MONEY_ERR_FORMAT'],
    ['1.2.3', 'MONEY_ERR_FORMAT'],
    ['0x10', 'MONEY_ERR_FORMAT'],
    ['1e5', 'MONEY_ERR_EXPONENT'],
    ['1.5E-3', 'MONEY_ERR_EXPONENT'],
    ['NaN', 'MONEY_ERR_NAN'],
    ['Infinity', 'MONEY_ERR_NAN'],
    ['-Infinity', 'MONEY_ERR_NAN'],
    ['-1', 'MONEY_ERR_NEGATIVE'],
    ['-0.01', 'MONEY_ERR_NEGATIVE'],
    ['1.234', 'MONEY_ERR_SCALE'],
    ['9007199254740992', 'MONEY_ERR_RANGE'],
    ['90071992547409.92', 'MONEY_ERR_RANGE'],
  ])('%p is refused with %s', (input, expected) => {
    expect(code(parseUnits(input, input === '9007199254740992' ? 0 : 2))).toBe(expected);
  });

  it('round-trips with formatUnits for every safe amount and scale', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 18 }),
        (units, scale) => {
          const text = formatUnits(units, scale);
          expect(parseUnits(text, scale)).toEqual({ ok: true, value: units });
        },
      ),
    );
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.double().map(String), fc.anything()),
        fc.integer({ min: 0, max: 18 }),
        (input, scale) => {
          const r = parseUnits(input, scale);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
    );
  });
});

describe('parseSteps (ticks and lots)', () => {
  // tick 0.05 on a 4-decimal instrument: scale 2, 5 units per tick.
  const ticks = (s: unknown) => parseSteps(s, 2, 5, 4, 'MONEY_ERR_OFF_TICK', 'price');

  it('counts ticks exactly', () => {
    expect(ticks('100.05')).toEqual({ ok: true, value: 2001 });
    expect(ticks('100.0500')).toEqual({ ok: true, value: 2001 });
    expect(ticks('0.05')).toEqual({ ok: true, value: 1 });
  });

  it('tells off-tick, beyond-scale and zero apart', () => {
    expect(code(ticks('100.03'))).toBe('MONEY_ERR_OFF_TICK');
    expect(code(ticks('100.051'))).toBe('MONEY_ERR_OFF_TICK');
    expect(code(ticks('100.05001'))).toBe('MONEY_ERR_SCALE');
    expect(code(ticks('0'))).toBe('MONEY_ERR_ZERO');
    expect(code(ticks('0.00'))).toBe('MONEY_ERR_ZERO');
  });

  it('keeps 18-decimal instruments in small integers', () => {
    // lot 0.00000001 on an 18-decimal quantity: 1 BTC is 1e8 lots, far from 2^53.
    expect(parseSteps('1.000000000000000000', 8, 1, 18, 'MONEY_ERR_OFF_LOT', 'quantity')).toEqual({
      ok: true,
      value: 100_000_000,
    });
    expect(code(parseSteps('1.000000000000000001', 8, 1, 18, 'MONEY_ERR_OFF_LOT', 'quantity'))).toBe(
      'MONEY_ERR_OFF_LOT',
    );
  });

  it('formatSteps is the inverse of parseSteps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 0, max: 6 }),
        (steps, unitsPerStep, extra) => {
          const stepScale = 2;
          const scale = stepScale + extra;
          const text = formatSteps(steps, unitsPerStep, stepScale, scale);
          expect(parseSteps(text, stepScale, unitsPerStep, scale, 'MONEY_ERR_OFF_TICK', 'p')).toEqual({
            ok: true,
            value: steps,
          });
        },
      ),
    );
  });
});

describe('formatting', () => {
  it('pads to the scale', () => {
    expect(formatUnits(5, 3)).toBe('0.005');
    expect(formatUnits(12345, 2)).toBe('123.45');
    expect(formatUnits(0, 2)).toBe('0.00');
    expect(formatUnits(7, 0)).toBe('7');
    expect(formatUnits(10n ** 30n, 18)).toBe('1000000000000.000000000000000000');
    expect(formatSteps(2001, 5, 2, 4)).toBe('100.0500');
    expect(formatSteps(3, 1, 0, 2)).toBe('3.00');
  });

  it('refuses what it cannot format exactly', () => {
    expect(() => formatUnits(1.5, 2)).toThrow(RangeError);
    expect(() => formatUnits(-1, 2)).toThrow(RangeError);
  });

  it('stepOf finds the scale and size of a step', () => {
    expect(stepOf('0.05', 4)).toEqual({ ok: true, value: { scale: 2, units: 5 } });
    expect(stepOf('0.10', 4)).toEqual({ ok: true, value: { scale: 1, units: 1 } });
    expect(stepOf('25', 2)).toEqual({ ok: true, value: { scale: 0, units: 25 } });
    expect(code(stepOf('0', 2))).toBe('MONEY_ERR_ZERO');
    expect(code(stepOf('0.001', 2))).toBe('MONEY_ERR_SCALE');
  });
});
