import { DepthSync } from './depth-sync';
import type { Depth, StreamDepth } from './types';

export interface BookFeedPorts {
  /** GET /v1/markets/:symbol/depth; undefined when the gateway could not answer (the next message or gap retries). */
  fetchSnapshot(symbol: string): Promise<Depth | undefined>;
  /** Unsubscribe and subscribe `depth:<symbol>` again (the gateway answers with the current book). */
  resubscribe(symbol: string): void;
  /** The book to show, and the seq it reflects. */
  show(bids: ReadonlyArray<[string, string]>, asks: ReadonlyArray<[string, string]>, seq: number): void;
}

/**
 * The depth of one symbol, kept from the stream with gap detection: messages chain on the held seq; a gap (or a
 * reconnect) re-fetches the REST snapshot and re-subscribes, and a snapshot older than the book already shown is
 * never taken.
 */
export class BookFeed {
  private readonly sync = new DepthSync();
  private symbol: string | undefined;
  /** Re-syncs after a gap since the symbol was selected. */
  resyncs = 0;

  constructor(private readonly ports: BookFeedPorts) {}

  /** A new symbol (or the same after a reconnect): forget the book, fetch its snapshot. */
  async start(symbol: string): Promise<void> {
    this.symbol = symbol;
    this.resyncs = 0;
    await this.resync();
  }

  async resync(): Promise<void> {
    const symbol = this.symbol;
    if (symbol === undefined) return;
    this.sync.reset(undefined);
    const snapshot = await this.ports.fetchSnapshot(symbol);
    if (symbol !== this.symbol || !snapshot) return;
    if (this.sync.offerSnapshot(snapshot.seq)) this.ports.show(snapshot.bids, snapshot.asks, snapshot.seq);
  }

  /** A `depth:<symbol>` stream message. */
  onMessage(d: StreamDepth): void {
    if (d.symbol !== this.symbol) return;
    const verdict = this.sync.onMessage(d.U, d.u);
    if (verdict === 'apply') this.ports.show(d.bids, d.asks, d.u);
    else if (verdict === 'gap') {
      this.resyncs++;
      this.ports.resubscribe(d.symbol);
      void this.resync();
    }
  }
}
