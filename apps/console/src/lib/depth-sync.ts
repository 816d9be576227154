/**
 * Gap detection on the gateway's depth stream (see the gateway's DepthSnapshot): each message covers the shard
 * seqs [U, u] and chains on the previous one (U = previous u + 1). A client holding the book at `u`:
 *  - drops a message with u ≤ held (stale or duplicate);
 *  - applies one with U ≤ held + 1;
 *  - on U > held + 1 some messages were missed: it re-syncs — fetches the REST snapshot (its `seq` is a `u`) and
 *    re-subscribes — and counts the gap.
 */
export type DepthVerdict = 'apply' | 'stale' | 'gap';

export class DepthSync {
  private held: number | undefined;
  /** Gaps seen since start. */
  gaps = 0;

  /** The book now reflects `u` (a REST snapshot's seq; 0 means the gateway has none yet). */
  reset(u: number | undefined): void {
    this.held = u === 0 ? undefined : u;
  }

  get seq(): number | undefined {
    return this.held;
  }

  /**
   * A REST snapshot fetched while the stream already runs: taken (true) only when it is newer than the book held,
   * so a slow answer never takes the book back. seq 0 (the gateway has none yet) is never taken.
   */
  offerSnapshot(seq: number): boolean {
    if (seq === 0 || (this.held !== undefined && seq <= this.held)) return false;
    this.held = seq;
    return true;
  }

  /** What to do with a stream message; an applied one moves the held seq to its u. */
  onMessage(U: number, u: number): DepthVerdict {
    if (this.held === undefined) {
      // Nothing held yet: the first full snapshot is the book.
      this.held = u;
      return 'apply';
    }
    if (u <= this.held) return 'stale';
    if (U > this.held + 1) {
      this.gaps++;
      return 'gap';
    }
    this.held = u;
    return 'apply';
  }
}
