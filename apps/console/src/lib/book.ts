import { addDecimal, ratioForDisplay } from './decimal';

/** One row of the depth ladder: the level as the API gave it and the running total from the best price. */
export interface LadderRow {
  price: string;
  size: string;
  /** Sum of the sizes from the best level up to this one, exact. */
  total: string;
  /** total / the side's largest total, for the depth bar (drawing only). */
  depth: number;
}

export interface Ladder {
  /** Best (highest) first. */
  bids: LadderRow[];
  /** Best (lowest) first. */
  asks: LadderRow[];
  /** The deeper of the two sides' totals: both sides' bars share one scale, so they compare. */
  maxTotal: string;
}

function cumulate(levels: ReadonlyArray<readonly [string, string]>): Array<Omit<LadderRow, 'depth'>> {
  let total = '0';
  return levels.map(([price, size]) => {
    total = addDecimal(total, size);
    return { price, size, total };
  });
}

/**
 * The ladder of a depth snapshot (levels best first, as the gateway sends them). Prices and sizes stay the API's
 * strings; totals are exact decimal sums.
 */
export function buildLadder(
  bids: ReadonlyArray<readonly [string, string]>,
  asks: ReadonlyArray<readonly [string, string]>,
): Ladder {
  const b = cumulate(bids);
  const a = cumulate(asks);
  const lastBid = b[b.length - 1]?.total ?? '0';
  const lastAsk = a[a.length - 1]?.total ?? '0';
  const maxTotal = ratioForDisplay(lastBid, lastAsk) >= 1 ? lastBid : lastAsk;
  const withDepth = (r: Omit<LadderRow, 'depth'>): LadderRow => ({ ...r, depth: ratioForDisplay(r.total, maxTotal) });
  return { bids: b.map(withDepth), asks: a.map(withDepth), maxTotal };
}
