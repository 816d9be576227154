import { buildLadder } from './book';

describe('depth ladder', () => {
  it('keeps the API strings and sums sizes exactly from the best level outwards', () => {
    const ladder = buildLadder(
      [
        ['100.10', '0.1'],
        ['100.00', '0.2'],
        ['99.90', '1.0000'],
      ],
      [
        ['100.20', '0.7'],
        ['100.30', '0.05'],
      ],
    );
    expect(ladder.bids.map((r) => [r.price, r.size, r.total])).toEqual([
      ['100.10', '0.1', '0.1'],
      ['100.00', '0.2', '0.3'],
      ['99.90', '1.0000', '1.3000'],
    ]);
    expect(ladder.asks.map((r) => r.total)).toEqual(['0.7', '0.75']);
    expect(ladder.maxTotal).toBe('1.3000');
    // Both sides share the deeper side's scale.
    expect(ladder.bids[2]?.depth).toBe(1);
    expect(ladder.asks[1]?.depth).toBeCloseTo(0.75 / 1.3, 5);
  });

  it('handles an empty book and one-sided books', () => {
    expect(buildLadder([], [])).toEqual({ bids: [], asks: [], maxTotal: '0' });
    const onlyAsks = buildLadder([], [['5', '2']]);
    expect(onlyAsks.maxTotal).toBe('2');
    expect(onlyAsks.asks[0]).toEqual({ price: '5', size: '2', total: '2', depth: 1 });
  });
});
