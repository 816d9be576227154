import { DepthSync } from './depth-sync';

describe('depth gap detection', () => {
  it('applies chained messages, drops stale ones and reports a skipped seq as a gap', () => {
    const s = new DepthSync();
    s.reset(10); // REST snapshot at seq 10
    expect(s.onMessage(5, 10)).toBe('stale'); // the stream's first message: the same book
    expect(s.onMessage(11, 14)).toBe('apply');
    expect(s.seq).toBe(14);
    expect(s.onMessage(12, 13)).toBe('stale');
    expect(s.onMessage(16, 20)).toBe('gap'); // 15 was never seen
    expect(s.gaps).toBe(1);
    expect(s.seq).toBe(14); // a gap does not move the book: the re-sync does
    s.reset(22);
    expect(s.onMessage(23, 25)).toBe('apply');
  });

  it('takes the first message as the book when the REST snapshot had none (seq 0)', () => {
    const s = new DepthSync();
    s.reset(0);
    expect(s.seq).toBeUndefined();
    expect(s.onMessage(7, 7)).toBe('apply');
    expect(s.onMessage(9, 9)).toBe('gap');
  });

  it('takes a REST snapshot only when it is newer than the book the stream already gave', () => {
    const s = new DepthSync();
    s.reset(undefined);
    expect(s.onMessage(30, 30)).toBe('apply');
    expect(s.offerSnapshot(29)).toBe(false);
    expect(s.offerSnapshot(0)).toBe(false);
    expect(s.seq).toBe(30);
    expect(s.offerSnapshot(31)).toBe(true);
    expect(s.onMessage(32, 33)).toBe('apply');
  });
});
