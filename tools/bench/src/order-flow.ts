import {
  compileInstrument,
  type Instrument,
  type InstrumentSpec,
  lotsToQuantity,
  priceToTicks,
  ticksToPrice,
} from '@shardex/contracts';

/** The body of `POST /v1/orders` (and of each entry of the batch endpoint) as the flow builds it. */
export interface OrderBody {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market';
  price?: string;
  quantity: string;
  timeInForce?: 'GTC' | 'IOC';
  clientOrderId: string;
}

export interface FlowOrder {
  /** Index of the user (API key) that places it, 0 ≤ user < users. */
  user: number;
  /** maker: a GTC limit order that rests on its side of the mid; taker: an IOC limit or a market order that crosses. */
  role: 'maker' | 'taker';
  body: OrderBody;
}

export interface OrderFlowOptions {
  instruments: readonly InstrumentSpec[];
  /** Mid price per symbol (decimal string on the tick). Default: DEFAULT_MIDS, else 10,000 ticks. */
  mids?: Readonly<Record<string, string>>;
  /** Users placing orders (one API key each). */
  users: number;
  /** Same seed, same options: the same orders in the same order. */
  seed: number;
  /** Prefix of every clientOrderId (`<tag>-<n>`): unique per run, so the idempotency store sees new ids only. */
  clientOrderIdPrefix: string;
  /** Share of takers, 0-1. Default 0.45: takers bring a little more quantity than makers, so books stay shallow. */
  takerShare?: number;
  /** Share of takers that are market orders (the rest are IOC limits at the far edge of the band). Default 0.15. */
  marketShare?: number;
  /** Makers rest 1..bandTicks ticks from the mid; IOC takers reach bandTicks past it. Default 10. */
  bandTicks?: number;
  /** Maker quantity: 1..makerMaxMin × the instrument's minimum. Default 10. */
  makerMaxMin?: number;
  /** Taker quantity: 1..takerMaxMin × the instrument's minimum. Default 14. */
  takerMaxMin?: number;
}

/** Mid prices of the stack's instruments (k8s/base/config/instruments.json). */
export const DEFAULT_MIDS: Readonly<Record<string, string>> = Object.freeze({
  'BTC-USDT': '60000.00',
  'ETH-USDT': '3000.00',
  'SOL-USDT': '150.000',
  'XRP-USDT': '0.5000',
});

/** mulberry32: a small, fast, seedable PRNG (32-bit state) — plenty for picking orders, and reproducible. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Book {
  instrument: Instrument;
  midTicks: number;
}

/**
 * An exchange-like order flow, deterministic by seed: on every symbol a mix of makers (GTC limits 1..bandTicks ticks
 * behind the mid on their side: buys below, sells above, so makers never trade with each other) and takers (IOC limits
 * bandTicks past the mid, or market orders) that trade with them. Takers bring slightly more quantity than makers
 * (0.45 × 7.5 vs 0.55 × 5.5 minimums per order with the defaults), so the resting books stay shallow instead of
 * growing for the whole run (the engine caps open orders per user and symbol, and a bench that fills the books would
 * measure rejections); IOC remainders expire rather than rest. Users are drawn uniformly, so self-trade prevention
 * (the instruments' default CANCEL_NEWEST) touches about 1/users of the matches, as among many traders.
 */
export function createOrderFlow({
  instruments,
  mids = DEFAULT_MIDS,
  users,
  seed,
  clientOrderIdPrefix,
  takerShare = 0.45,
  marketShare = 0.15,
  bandTicks = 10,
  makerMaxMin = 10,
  takerMaxMin = 14,
}: OrderFlowOptions): { next(): FlowOrder; nextFor(user: number): FlowOrder; readonly issued: number } {
  if (!Number.isInteger(users) || users < 1) throw new RangeError(`users must be a positive integer, got ${users}`);
  if (instruments.length === 0) throw new RangeError('the flow needs at least one instrument');
  if (!(takerShare >= 0 && takerShare <= 1) || !(marketShare >= 0 && marketShare <= 1))
    throw new RangeError('takerShare and marketShare must be between 0 and 1');
  if (!Number.isInteger(bandTicks) || bandTicks < 1) throw new RangeError('bandTicks must be a positive integer');
  if (!/^[\x21-\x7e]{1,40}$/.test(clientOrderIdPrefix))
    throw new RangeError('clientOrderIdPrefix must be 1-40 printable ASCII characters without spaces');
  const books: Book[] = instruments.map((spec) => {
    const compiled = compileInstrument(spec);
    if (!compiled.ok) throw new RangeError(`instrument ${spec.symbol}: ${compiled.message}`);
    const instrument = compiled.value;
    const mid = mids[spec.symbol];
    let midTicks = 10_000;
    if (mid !== undefined) {
      const ticks = priceToTicks(instrument, mid);
      if (!ticks.ok) throw new RangeError(`mid ${mid} of ${spec.symbol}: ${ticks.message}`);
      midTicks = ticks.value;
    }
    if (midTicks <= bandTicks) throw new RangeError(`mid of ${spec.symbol} must be more than ${bandTicks} ticks`);
    const most = Math.max(makerMaxMin, takerMaxMin) * instrument.minLots;
    if (most > instrument.maxLots)
      throw new RangeError(`${spec.symbol}: ${most} lots exceed maxQty; lower makerMaxMin/takerMaxMin`);
    return { instrument, midTicks };
  });
  const random = createRng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  let n = 0;

  const price = (b: Book, ticks: number) => ticksToPrice(b.instrument, ticks);
  const quantity = (b: Book, lots: number) => lotsToQuantity(b.instrument, lots);

  const build = (user: number): FlowOrder => {
    const book = books[int(0, books.length - 1)] as Book;
    const side = random() < 0.5 ? 'buy' : 'sell';
    const sign = side === 'buy' ? 1 : -1;
    const clientOrderId = `${clientOrderIdPrefix}-${n++}`;
    const { symbol, minLots } = book.instrument;
    if (random() >= takerShare) {
      return {
        user,
        role: 'maker',
        body: {
          symbol,
          side,
          type: 'limit',
          price: price(book, book.midTicks - sign * int(1, bandTicks)),
          quantity: quantity(book, minLots * int(1, makerMaxMin)),
          timeInForce: 'GTC',
          clientOrderId,
        },
      };
    }
    const lots = minLots * int(1, takerMaxMin);
    if (random() < marketShare)
      return {
        user,
        role: 'taker',
        body: { symbol, side, type: 'market', quantity: quantity(book, lots), clientOrderId },
      };
    return {
      user,
      role: 'taker',
      body: {
        symbol,
        side,
        type: 'limit',
        price: price(book, book.midTicks + sign * bandTicks),
        quantity: quantity(book, lots),
        timeInForce: 'IOC',
        clientOrderId,
      },
    };
  };

  return {
    next: () => build(int(0, users - 1)),
    nextFor: (user: number) => {
      if (!Number.isInteger(user) || user < 0 || user >= users) throw new RangeError(`no user ${user}`);
      return build(user);
    },
    get issued() {
      return n;
    },
  };
}
