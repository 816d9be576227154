import { BookFeed } from './book-feed';
import type { Depth, StreamDepth } from './types';

const depth = (seq: number, bid: string): Depth => ({
  symbol: 'A-USD',
  shardId: 'shard-1',
  seq,
  bids: [[bid, '1']],
  asks: [],
});
const msg = (U: number, u: number, bid: string, symbol = 'A-USD'): StreamDepth => ({
  symbol,
  shardId: 'shard-1',
  U,
  u,
  bids: [[bid, '1']],
  asks: [],
});

function harness(snapshots: Array<Depth | undefined>) {
  const shown: Array<[string | undefined, number]> = [];
  const resubscribed: string[] = [];
  const fetched: string[] = [];
  const feed = new BookFeed({
    fetchSnapshot: async (symbol) => (fetched.push(symbol), snapshots.shift()),
    resubscribe: (symbol) => resubscribed.push(symbol),
    show: (bids, _asks, seq) => shown.push([bids[0]?.[0], seq]),
  });
  return { feed, shown, resubscribed, fetched };
}

describe('book feed', () => {
  it('shows the REST snapshot, then the stream messages that chain on it', async () => {
    const h = harness([depth(10, '100')]);
    await h.feed.start('A-USD');
    h.feed.onMessage(msg(8, 10, '100')); // the subscribe's current book: already shown
    h.feed.onMessage(msg(11, 12, '101'));
    h.feed.onMessage(msg(13, 13, '102'));
    h.feed.onMessage(msg(1, 1, '999', 'B-USD')); // another symbol's channel
    expect(h.shown).toEqual([
      ['100', 10],
      ['101', 12],
      ['102', 13],
    ]);
    expect(h.resubscribed).toEqual([]);
  });

  it('on a skipped seq re-subscribes and re-fetches the snapshot, then goes on from it', async () => {
    const h = harness([depth(10, '100'), depth(20, '105')]);
    await h.feed.start('A-USD');
    h.feed.onMessage(msg(15, 16, '103')); // 11-14 were missed
    expect(h.resubscribed).toEqual(['A-USD']);
    expect(h.feed.resyncs).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    h.feed.onMessage(msg(21, 21, '106'));
    expect(h.fetched).toEqual(['A-USD', 'A-USD']);
    expect(h.shown).toEqual([
      ['100', 10],
      ['105', 20],
      ['106', 21],
    ]);
  });

  it('never takes the book back to a snapshot older than what the stream already showed', async () => {
    let release: (d: Depth) => void = () => undefined;
    const shown: number[] = [];
    const feed = new BookFeed({
      fetchSnapshot: () => new Promise<Depth>((r) => (release = r)),
      resubscribe: () => undefined,
      show: (_b, _a, seq) => shown.push(seq),
    });
    const started = feed.start('A-USD');
    feed.onMessage(msg(30, 31, '100')); // the stream answers first
    release(depth(29, '99')); // then the slower REST page
    await started;
    expect(shown).toEqual([31]);
  });
});
