/**
 * The book's data structures, shaped for the hot loop: orders are nodes of an intrusive doubly linked list per
 * price level (O(1) append, O(1) unlink on cancel); a side keeps its levels in one array sorted so the best level
 * is last (O(1) best access and removal, O(log n) search to insert), plus a Map by price for O(1) lookup.
 * Orders arrive near the touch, so inserts land near the end of the array and move few elements.
 */

export const BUY = 0;
export const SELL = 1;
export type SideCode = typeof BUY | typeof SELL;

/** Small ints for STP modes, in the order of STP_MODES. */
export const STP_NONE = 0;
export const STP_CANCEL_NEWEST = 1;
export const STP_CANCEL_OLDEST = 2;
export const STP_CANCEL_BOTH = 3;

/**
 * One user's open orders on one symbol's book: how many, and the orders themselves as an intrusive doubly linked
 * list (O(1) to join and leave, so the hot path pays a few pointer writes), which lets CANCEL_ALL_ORDERS find a
 * user's k orders in O(k) instead of scanning the book. Shared by those orders, so closing one needs no lookup.
 *
 * The list is in the order the orders started resting. An order joins it at the moment it is appended to the tail
 * of its price level (placement and restore alike), and nothing else reorders a level, so two orders of the same
 * level are in the same relative order here as in the level's FIFO queue, also after a restore.
 */
export class UserTally {
  count = 0;
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;

  add(o: RestingOrder): void {
    o.userPrev = this.tail;
    o.userNext = null;
    if (this.tail) this.tail.userNext = o;
    else this.head = o;
    this.tail = o;
    this.count++;
  }

  remove(o: RestingOrder): void {
    if (o.userPrev) o.userPrev.userNext = o.userNext;
    else this.head = o.userNext;
    if (o.userNext) o.userNext.userPrev = o.userPrev;
    else this.tail = o.userPrev;
    o.userPrev = o.userNext = null;
    this.count--;
  }
}

export class RestingOrder {
  prev: RestingOrder | null = null;
  next: RestingOrder | null = null;
  level: PriceLevel | null = null;
  /** Its user's tally on the book while it rests; null for an order that never rested. */
  tally: UserTally | null = null;
  /** Neighbours in its user's list of open orders on the book (see UserTally). */
  userPrev: RestingOrder | null = null;
  userNext: RestingOrder | null = null;
  constructor(
    readonly orderId: string,
    readonly userId: string,
    readonly side: SideCode,
    readonly priceTicks: number,
    readonly quantityLots: number,
    public filledLots: number,
    readonly stp: number,
  ) {}

  get remainingLots(): number {
    return this.quantityLots - this.filledLots;
  }
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

export class PriceLevel {
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
  /**
   * The level's remaining lots while the sum is exact in a double. Many large orders can push a sum past 2^53:
   * from then on `bigTotal` holds it exactly, until it falls back into range. `total()` reads whichever is live.
   */
  private lots = 0;
  private bigTotal: bigint | null = null;
  count = 0;
  /** The price as the wire shows it, formatted once per level rather than once per event. */
  constructor(
    readonly priceTicks: number,
    readonly priceText: string,
    /** The side (of one symbol's book) the level belongs to: tells a cancel whether it named the right symbol. */
    readonly owner: BookSide,
  ) {}

  /** Remaining lots on the level: a number while exact, a bigint past 2^53 - 1. */
  total(): number | bigint {
    return this.bigTotal ?? this.lots;
  }

  add(lots: number): void {
    const sum = this.lots + lots;
    // A rounded double sum past the limit still compares above it, so this test is exact.
    if (this.bigTotal === null && sum <= Number.MAX_SAFE_INTEGER) this.lots = sum;
    else this.bigTotal = (this.bigTotal ?? BigInt(this.lots)) + BigInt(lots);
  }

  sub(lots: number): void {
    if (this.bigTotal === null) {
      this.lots -= lots;
      return;
    }
    const rest = this.bigTotal - BigInt(lots);
    if (rest <= MAX_SAFE_BIG) {
      this.lots = Number(rest);
      this.bigTotal = null;
    } else this.bigTotal = rest;
  }

  append(o: RestingOrder): void {
    o.level = this;
    o.prev = this.tail;
    o.next = null;
    if (this.tail) this.tail.next = o;
    else this.head = o;
    this.tail = o;
    this.add(o.quantityLots - o.filledLots);
    this.count++;
  }

  unlink(o: RestingOrder): void {
    if (o.prev) o.prev.next = o.next;
    else this.head = o.next;
    if (o.next) o.next.prev = o.prev;
    else this.tail = o.prev;
    this.sub(o.quantityLots - o.filledLots);
    this.count--;
    o.prev = o.next = o.level = null;
  }
}

export class BookSide {
  /** Sorted so that the best price is last: bids ascending, asks descending. */
  readonly levels: PriceLevel[] = [];
  readonly byPrice = new Map<number, PriceLevel>();
  constructor(readonly side: SideCode) {}

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** True when `a` is a better price than `b` for this side. */
  better(a: number, b: number): boolean {
    return this.side === BUY ? a > b : a < b;
  }

  levelFor(priceTicks: number, priceText: string): PriceLevel {
    let level = this.byPrice.get(priceTicks);
    if (level) return level;
    level = new PriceLevel(priceTicks, priceText, this);
    this.byPrice.set(priceTicks, level);
    const levels = this.levels;
    const n = levels.length;
    // Fast path: a new best level (the common case near the touch) goes on the end.
    const last = levels[n - 1];
    if (last === undefined || this.better(priceTicks, last.priceTicks)) {
      levels.push(level);
      return level;
    }
    levels.splice(this.insertIndex(priceTicks), 0, level);
    return level;
  }

  /** First index whose price is better than `priceTicks` (levels before it are worse). */
  private insertIndex(priceTicks: number): number {
    const levels = this.levels;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better((levels[mid] as PriceLevel).priceTicks, priceTicks)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  removeLevel(level: PriceLevel): void {
    this.byPrice.delete(level.priceTicks);
    const levels = this.levels;
    if (levels[levels.length - 1] === level) {
      levels.pop();
      return;
    }
    // insertIndex returns the slot after the level of equal price.
    const i = this.insertIndex(level.priceTicks) - 1;
    if (levels[i] === level) levels.splice(i, 1);
  }

  /** Removes an order; drops its level when it empties. */
  remove(o: RestingOrder): void {
    const level = o.level;
    if (!level) return;
    level.unlink(o);
    if (level.count === 0) this.removeLevel(level);
  }
}
