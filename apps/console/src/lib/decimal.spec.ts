import { addDecimal, compareDecimal, ratioForDisplay, sumDecimals } from './decimal';

describe('decimal strings', () => {
  it('adds exactly where floating point would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('1.50', '1')).toBe('2.50');
    expect(addDecimal('99999999999999999.99', '0.01')).toBe('100000000000000000.00');
    expect(sumDecimals(['0.0001', '0.0002', '3'])).toBe('3.0003');
    expect(sumDecimals([])).toBe('0');
  });

  it('compares by value, whatever the scale', () => {
    expect(compareDecimal('1.50', '1.5')).toBe(0);
    expect(compareDecimal('10', '9.99')).toBe(1);
    expect(compareDecimal('0.001', '0.01')).toBe(-1);
  });

  it('refuses anything but a plain non-negative decimal', () => {
    for (const bad of ['', '-1', '1e3', '1.', '.5', 'NaN', '1,5']) expect(() => addDecimal(bad, '1')).toThrow(/plain/);
  });

  it('gives a bar ratio in [0, 1], 0 against an empty side', () => {
    expect(ratioForDisplay('1.5', '3')).toBe(0.5);
    expect(ratioForDisplay('3', '3.00')).toBe(1);
    expect(ratioForDisplay('0', '0')).toBe(0);
  });
});
