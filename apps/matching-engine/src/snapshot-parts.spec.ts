import fc from 'fast-check';
import { fromParts, toParts } from './snapshot-parts';

const size = (v: unknown) => JSON.stringify(v).length;

describe('snapshot parts', () => {
  it('bounds every part, however the state nests: one huge book, or many medium ones', () => {
    const tuple = (i: number) => [`order-${i}`, 'user-1', 0, 100 + (i % 50), 10, 0, 1];
    const oneBig = { book: { books: [{ symbol: 'A', orders: Array.from({ length: 5_000 }, (_, i) => tuple(i)) }] } };
    // 200 books of 150 orders: every array is below maxItems, yet together they are 30,000 orders.
    const manyMedium = {
      book: {
        books: Array.from({ length: 300 }, (_, s) => ({
          symbol: `S${s}`,
          orders: Array.from({ length: 900 }, (_, i) => tuple(i)),
        })),
      },
      orders: Array.from({ length: 1_000 }, (_, i) => [`o${i}`, { userId: 'u' }]),
      small: [1, 2, 3],
    };
    for (const state of [oneBig, manyMedium]) {
      const parts = toParts(state, 200);
      expect(size(parts[0])).toBeLessThan(5_000); // shape and references: grows with the number of books, not orders
      for (const p of parts.slice(1)) expect((p as unknown[]).length).toBeLessThanOrEqual(200);
      const largest = Math.max(...parts.map(size));
      expect(largest).toBeLessThan(15_000); // about two hundred order tuples
      expect(JSON.stringify(fromParts(JSON.parse(JSON.stringify(parts))))).toBe(JSON.stringify(state));
    }
  });

  it('round-trips any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 5 }), (value, maxItems) => {
        const back = fromParts(JSON.parse(JSON.stringify(toParts(value, maxItems))));
        expect(back).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    const long = { a: Array.from({ length: 100 }, (_, i) => ({ b: Array.from({ length: 40 }, (_, j) => i * j) })) };
    expect(fromParts(toParts(long, 7))).toEqual(long);
  });

  it('refuses parts with a missing bin', () => {
    const parts = toParts({ a: Array.from({ length: 40 }, (_, i) => i) }, 10);
    expect(() => fromParts(parts.slice(0, 2))).toThrow(expect.objectContaining({ code: 'ENGINE_ERR_SNAPSHOT' }));
    expect(() => fromParts([])).toThrow(expect.objectContaining({ code: 'ENGINE_ERR_SNAPSHOT' }));
  });
});
