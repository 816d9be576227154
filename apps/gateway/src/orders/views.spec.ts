import { atScale } from './views';

describe('atScale', () => {
  it.each([
    ['0.3', 8, '0.30000000'],
    ['65000', 2, '65000.00'],
    ['65000.5', 2, '65000.50'],
    ['1.2345', 4, '1.2345'],
    ['7', 0, '7'],
  ])('%s at scale %d is %s', (value, scale, expected) => {
    expect(atScale(value, scale)).toBe(expected);
  });
});
