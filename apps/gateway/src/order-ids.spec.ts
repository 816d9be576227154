import fc from 'fast-check';
import { createOrderIdGenerator, orderIdTime } from './order-ids';

const ORDER_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('order ids', () => {
  it('encode time and randomness as ULID does (its published example and the extremes)', () => {
    const fixed = (t: number, byte: number) =>
      createOrderIdGenerator({ now: () => t, random: (n) => new Uint8Array(n).fill(byte) }).next();
    expect(fixed(1469918176385, 0).slice(0, 10)).toBe('01ARYZ6S41');
    expect(fixed(0, 0)).toBe('0'.repeat(26));
    expect(fixed(2 ** 48 - 1, 0xff)).toBe('7' + 'Z'.repeat(25));
    expect(orderIdTime(fixed(1469918176385, 7))).toBe(1469918176385);
  });

  it('sort strictly in issue order and carry the latest clock reading, whatever the clock does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4_000_000_000_000 }), { minLength: 1, maxLength: 300 }),
        fc.integer(),
        (times, seed) => {
          let i = 0;
          let s = seed;
          const gen = createOrderIdGenerator({
            now: () => times[Math.min(i++, times.length - 1)] as number,
            random: (n) => Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) & 0xff),
          });
          let previous = '';
          let latest = -1;
          for (let k = 0; k < times.length; k++) {
            const id = gen.next();
            latest = Math.max(latest, times[k] as number);
            expect(id).toMatch(ORDER_ID);
            expect(id > previous).toBe(true);
            expect(orderIdTime(id)).toBe(latest);
            previous = id;
          }
        },
      ),
    );
  });

  it('counts up within a millisecond and moves to the next one when the 80-bit counter is spent', () => {
    const gen = createOrderIdGenerator({ now: () => 1000, random: (n) => new Uint8Array(n).fill(0xff) });
    const first = gen.next();
    const second = gen.next();
    expect(orderIdTime(first)).toBe(1000);
    expect(orderIdTime(second)).toBe(1001);
    expect(second > first).toBe(true);
    const low = createOrderIdGenerator({ now: () => 5, random: (n) => new Uint8Array(n) });
    expect(low.next().slice(10)).toBe('0'.repeat(16));
    expect(low.next().slice(10)).toBe('0'.repeat(15) + '1');
  });

  it('fits the engine’s id rules and is unique across generators that share a millisecond', () => {
    const ids = new Set<string>();
    for (let g = 0; g < 50; g++) {
      const gen = createOrderIdGenerator({ now: () => 1_700_000_000_000 });
      for (let k = 0; k < 200; k++) ids.add(gen.next());
    }
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
  });

  it('refuses a clock that is not a time, and reads no time from a malformed id', () => {
    expect(() => createOrderIdGenerator({ now: () => Number.NaN }).next()).toThrow(RangeError);
    expect(() => createOrderIdGenerator({ now: () => -1 }).next()).toThrow(RangeError);
    expect(() => createOrderIdGenerator({ now: () => 2 ** 48 }).next()).toThrow(RangeError);
    for (const bad of [
      '',
      'short',
      '01ARYZ6S41TSV4RRFFQ69G5FAI',
      '01arYZ6S41TSV4RRFFQ69G5FAV',
      '8ZZZZZZZZZZZZZZZZZZZZZZZZZ',
    ])
      expect(orderIdTime(bad)).toBeUndefined();
  });
});
