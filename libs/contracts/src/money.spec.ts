import fc from 'fast-check';
import { countSteps, formatSteps, formatUnits, multiplyToString, parseSteps, parseUnits, stepOf } from './money';

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
    ['x1e5', 'MONEY_ERR_FORMAT'],
    ['1e5x', 'MONEY_ERR_FORMAT'],
    ['+1e5', 'MONEY_ERR_EXPONENT'],
    ['12.5e3', 'MONEY_ERR_EXPONENT'],
    ['.5e3', 'MONEY_ERR_EXPONENT'],
    ['.55e3', 'MONEY_ERR_EXPONENT'],
    ['1e55', 'MONEY_ERR_EXPONENT'],
    ['+infinity', 'MONEY_ERR_NAN'],
    ['inf', 'MONEY_ERR_NAN'],
    ['-inf', 'MONEY_ERR_NAN'],
    ['nan', 'MONEY_ERR_NAN'],
    ['x-1', 'MONEY_ERR_FORMAT'],
    ['-1x', 'MONEY_ERR_FORMAT'],
    ['-12', 'MONEY_ERR_NEGATIVE'],
    ['-10.5', 'MONEY_ERR_NEGATIVE'],
    ['-0.01', 'MONEY_ERR_NEGATIVE'],
    ['-0', 'MONEY_ERR_FORMAT'],
    ['-00', 'MONEY_ERR_FORMAT'],
    ['-0.00', 'MONEY_ERR_FORMAT'],
    ['1.2a', 'MONEY_ERR_FORMAT'],
    ['1.a', 'MONEY_ERR_FORMAT'],
    ['1a', 'MONEY_ERR_FORMAT'],
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

describe('parseUnits at its limits', () => {
  it('takes exactly 64 characters, no more', () => {
    expect(parseUnits(`${'0'.repeat(63)}1`, 0)).toEqual({ ok: true, value: 1 });
    expect(code(parseUnits(`${'0'.repeat(64)}1`, 0))).toBe('MONEY_ERR_FORMAT');
  });

  it('stays exact up to 2^53 - 1 in the whole, fractional and padded digits', () => {
    expect(parseUnits('900719925474099.1', 1)).toEqual({ ok: true, value: Number.MAX_SAFE_INTEGER });
    expect(code(parseUnits('900719925474099.2', 1))).toBe('MONEY_ERR_RANGE');
    expect(parseUnits('900719925474099', 1)).toEqual({ ok: true, value: 9_007_199_254_740_990 });
    expect(code(parseUnits('900719925474100', 1))).toBe('MONEY_ERR_RANGE');
    expect(parseUnits('90071992547409.9', 2)).toEqual({ ok: true, value: 9_007_199_254_740_990 });
    expect(code(parseUnits('90071992547410', 2))).toBe('MONEY_ERR_RANGE');
  });

  it('pads a short fraction to the scale', () => {
    expect(parseUnits('1.5', 4)).toEqual({ ok: true, value: 15_000 });
    expect(parseUnits('1.50000', 4)).toEqual({ ok: true, value: 15_000 });
  });

  it('explains each failure, cutting long input', () => {
    const message = (input: unknown, scale = 2, what?: string) => {
      const r = what === undefined ? parseUnits(input, scale) : parseUnits(input, scale, what);
      return r.ok ? 'ok' : r.message;
    };
    expect(message('x')).toBe('amount "x" is not a plain decimal');
    expect(message('x', 2, 'price')).toBe('price "x" is not a plain decimal');
    expect(message('1e5')).toBe('amount "1e5" uses exponent notation');
    expect(message('NaN')).toBe('amount "NaN" is not a number');
    expect(message('-1')).toBe('amount "-1" is negative');
    expect(message('1.234')).toBe('amount "1.234" has more than 2 decimal places');
    expect(message('9007199254740992', 0)).toBe('amount "9007199254740992" is too large');
    expect(message(12)).toBe('amount must be a decimal string, got number');
    expect(message(null)).toBe('amount must be a decimal string, got object');
    const forty = 'a'.repeat(40);
    expect(message(forty)).toBe(`amount "${forty}" is not a plain decimal`);
    expect(message(`${forty}b`)).toBe(`amount "${forty}…" is not a plain decimal`);
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

  it('escalates an off-grid digit to beyond-scale when a later digit passes the scale', () => {
    expect(code(ticks('100.05101'))).toBe('MONEY_ERR_SCALE');
    expect(code(ticks('100.051000'))).toBe('MONEY_ERR_OFF_TICK');
    expect(code(ticks('100.0510'))).toBe('MONEY_ERR_OFF_TICK');
    expect(code(ticks('100.0511'))).toBe('MONEY_ERR_OFF_TICK');
    expect(code(ticks('100.0501'))).toBe('MONEY_ERR_OFF_TICK');
    expect(code(ticks('100.05001'))).toBe('MONEY_ERR_SCALE');
    expect(code(ticks('100.05000'))).toBe('ok');
    expect(code(ticks('100.06'))).toBe('MONEY_ERR_OFF_TICK');
  });

  it('explains its failures with the tick or lot', () => {
    const message = (r: ReturnType<typeof ticks>) => (r.ok ? 'ok' : `${r.code}: ${r.message}`);
    expect(message(ticks('100.03'))).toBe('MONEY_ERR_OFF_TICK: price "100.03" is not a multiple of the tick size');
    expect(message(parseSteps('1.5', 0, 1, 1, 'MONEY_ERR_OFF_LOT', 'quantity'))).toBe(
      'MONEY_ERR_OFF_LOT: quantity "1.5" is not a multiple of the lot size',
    );
    expect(message(ticks('0'))).toBe('MONEY_ERR_ZERO: price must be greater than zero');
    expect(message(ticks('1.00001'))).toBe('MONEY_ERR_SCALE: price "1.00001" has more than 4 decimal places');
    expect(message(ticks('-1'))).toBe('MONEY_ERR_NEGATIVE: price "-1" is negative');
    expect(message(ticks(5))).toBe('MONEY_ERR_NOT_STRING: price must be a decimal string, got number');
    expect(message(ticks(null))).toBe('MONEY_ERR_FORMAT: price must be a decimal string, got object');
    expect(message(ticks(undefined))).toBe('MONEY_ERR_FORMAT: price must be a decimal string, got undefined');
  });

  it('countSteps returns the count, 0, or the negative code', () => {
    expect(countSteps('100.05', 2, 5, 4)).toBe(2001);
    expect(countSteps('0', 2, 5, 4)).toBe(0);
    expect(countSteps('100.03', 2, 5, 4)).toBeLessThan(0);
    expect(countSteps('x', 2, 5, 4)).toBeLessThan(0);
    expect(countSteps('x', 2, 5, 4)).not.toBe(countSteps('100.03', 2, 5, 4));
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
    expect(() => formatUnits(1.5, 2)).toThrow(new RangeError('formatUnits needs a safe integer, got 1.5'));
    expect(() => formatUnits(-1, 2)).toThrow(new RangeError('formatUnits needs a non-negative amount, got -1'));
    expect(() => formatUnits(2 ** 53, 2)).toThrow(RangeError);
    expect(() => formatUnits(-1n, 2)).toThrow(new RangeError('formatUnits needs a non-negative amount, got -1'));
    expect(formatUnits(0n, 2)).toBe('0.00');
    expect(formatUnits(5n, 0)).toBe('5');
  });

  it('formats steps exactly, past 2^53 too', () => {
    expect(formatSteps(10, 5, 2, 2)).toBe('0.50');
    expect(formatSteps(2 ** 52, 5, 2, 2)).toBe(
      `${(2n ** 52n * 5n) / 100n}.${String((2n ** 52n * 5n) % 100n).padStart(2, '0')}`,
    );
    expect(formatSteps(2n ** 60n, 5, 2, 3)).toBe(
      `${(2n ** 60n * 5n) / 100n}.${String((2n ** 60n * 5n) % 100n).padStart(2, '0')}0`,
    );
    expect(formatSteps(7n, 1, 0, 0)).toBe('7');
  });

  it('multiplies to an exact decimal string', () => {
    expect(multiplyToString(12_345, 2, 3, 1)).toBe('37.035');
    expect(multiplyToString(2 ** 53 - 1, 0, 2 ** 53 - 1, 2)).toBe(
      `${(2n ** 53n - 1n) ** 2n / 100n}.${String((2n ** 53n - 1n) ** 2n % 100n).padStart(2, '0')}`,
    );
  });

  it('stepOf finds the scale and size of a step', () => {
    expect(stepOf('10', 0)).toEqual({ ok: true, value: { scale: 0, units: 10 } });
    expect(stepOf('100', 2)).toEqual({ ok: true, value: { scale: 0, units: 100 } });
    expect(stepOf('0', 2)).toMatchObject({ message: 'step must be greater than zero' });
    expect(stepOf('x', 2)).toMatchObject({ message: 'step "x" is not a plain decimal' });
    expect(stepOf('0.05', 4)).toEqual({ ok: true, value: { scale: 2, units: 5 } });
    expect(stepOf('0.10', 4)).toEqual({ ok: true, value: { scale: 1, units: 1 } });
    expect(stepOf('25', 2)).toEqual({ ok: true, value: { scale: 0, units: 25 } });
    expect(code(stepOf('0', 2))).toBe('MONEY_ERR_ZERO');
    expect(code(stepOf('0.001', 2))).toBe('MONEY_ERR_SCALE');
  });
});
