import { fail, type Failure, ok, type Result } from './errors';
import { countSteps, formatSteps, MAX_SCALE, parseSteps, stepOf } from './money';

export const STP_MODES = ['NONE', 'CANCEL_NEWEST', 'CANCEL_OLDEST', 'CANCEL_BOTH'] as const;
/**
 * Self-trade prevention, when an order would trade with a resting order of the same user:
 * CANCEL_NEWEST cancels the incoming order's remainder, CANCEL_OLDEST cancels the resting order and matching goes
 * on, CANCEL_BOTH cancels both, NONE lets them trade.
 */
export type StpMode = (typeof STP_MODES)[number];

/** Default of `InstrumentSpec.maxOpenOrders`. */
export const DEFAULT_MAX_OPEN_ORDERS = 1_000_000;
/** Default of `InstrumentSpec.maxOpenOrdersPerUser`. */
export const DEFAULT_MAX_OPEN_ORDERS_PER_USER = 1_000;
/** Upper bound of both open-order caps. */
export const MAX_OPEN_ORDERS_LIMIT = 10_000_000;

/** An instrument as configured and as sent in INITIALIZE_ENGINE: amounts are decimal strings. */
export interface InstrumentSpec {
  /** Upper-case, e.g. `BTC-USDT`; the Kafka key of its commands. */
  symbol: string;
  base: string;
  quote: string;
  /** Decimals of prices on the wire and in MySQL (0-18). */
  priceScale: number;
  /** Decimals of quantities on the wire and in MySQL (0-18). */
  quantityScale: number;
  /** Smallest price increment, e.g. "0.01"; prices must be multiples of it. */
  tickSize: string;
  /** Smallest quantity increment, e.g. "0.0001"; quantities must be multiples of it. */
  lotSize: string;
  minQty: string;
  maxQty: string;
  /** Market orders never trade further than this from the best opposite price at arrival, in basis points. Default 500 (5%). */
  marketPriceBandBps?: number;
  /** STP mode for orders that do not set one. Default CANCEL_NEWEST. */
  selfTradePrevention?: StpMode;
  /**
   * Most open (resting) orders the symbol's book may hold: an integer 1-10,000,000, default 1,000,000. A GTC LIMIT
   * order arriving when the book holds this many is rejected with MAX_OPEN_ORDERS, before it can trade.
   */
  maxOpenOrders?: number;
  /**
   * Most open orders one user may hold on the symbol: an integer 1-10,000,000 and ≤ maxOpenOrders, default 1,000
   * (or maxOpenOrders when that is smaller). A GTC LIMIT order arriving when its user holds this many is rejected
   * with MAX_OPEN_ORDERS_PER_USER, before it can trade.
   */
  maxOpenOrdersPerUser?: number;
}

/** A validated instrument with the integer forms the engine works in. */
export interface Instrument extends Readonly<Required<InstrumentSpec>> {
  readonly tickScale: number;
  /** The tick in 10^-tickScale units. */
  readonly tickUnits: number;
  readonly lotScale: number;
  readonly lotUnits: number;
  readonly minLots: number;
  readonly maxLots: number;
}

const SYMBOL = /^[A-Z0-9][A-Z0-9._/-]{0,31}$/;
const ASSET = /^[A-Z0-9]{1,16}$/;
const SPEC_FIELDS: ReadonlySet<string> = new Set([
  'symbol',
  'base',
  'quote',
  'priceScale',
  'quantityScale',
  'tickSize',
  'lotSize',
  'minQty',
  'maxQty',
  'marketPriceBandBps',
  'selfTradePrevention',
  'maxOpenOrders',
  'maxOpenOrdersPerUser',
]);

function invalid(symbol: unknown, why: string): Failure<'INSTRUMENT_ERR_INVALID'> {
  return fail('INSTRUMENT_ERR_INVALID', `instrument ${typeof symbol === 'string' ? symbol : '?'}: ${why}`);
}

const isScale = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_SCALE;
const isIntIn = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
// RegExp.test would coerce a number or an object to a string first (and an object's own toString may throw).
const matches = (re: RegExp, v: unknown): v is string => typeof v === 'string' && re.test(v);

/**
 * Validates a spec and derives its integer forms. Takes anything (an INITIALIZE_ENGINE payload or a snapshot may
 * hold junk) and returns a failure, never throws, for whatever is not a valid spec, unknown fields included.
 */
export function compileInstrument(input: unknown): Result<Instrument> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return invalid(undefined, 'an instrument must be an object');
  const spec = input as Record<string, unknown>;
  const s = spec['symbol'];
  if (!matches(SYMBOL, s)) return invalid(s, 'symbol must be 1-32 of A-Z 0-9 . _ / -, starting with a letter or digit');
  for (const key of Object.keys(spec)) if (!SPEC_FIELDS.has(key)) return invalid(s, `unknown field "${key}"`);
  const { base, quote, priceScale, quantityScale, tickSize, lotSize, minQty, maxQty } = spec;
  if (!matches(ASSET, base) || !matches(ASSET, quote)) return invalid(s, 'base and quote must be 1-16 of A-Z 0-9');
  if (!isScale(priceScale) || !isScale(quantityScale)) return invalid(s, `scales must be integers 0-${MAX_SCALE}`);
  if (
    typeof tickSize !== 'string' ||
    typeof lotSize !== 'string' ||
    typeof minQty !== 'string' ||
    typeof maxQty !== 'string'
  )
    return invalid(s, 'tickSize, lotSize, minQty and maxQty must be decimal strings');
  const tick = stepOf(tickSize, priceScale);
  if (!tick.ok) return invalid(s, `tickSize: ${tick.message}`);
  const lot = stepOf(lotSize, quantityScale);
  if (!lot.ok) return invalid(s, `lotSize: ${lot.message}`);
  const lots = (q: string, what: string) =>
    parseSteps(q, lot.value.scale, lot.value.units, quantityScale, 'MONEY_ERR_OFF_LOT', what);
  const min = lots(minQty, 'minQty');
  if (!min.ok) return invalid(s, min.message);
  const max = lots(maxQty, 'maxQty');
  if (!max.ok) return invalid(s, max.message);
  if (min.value > max.value) return invalid(s, 'minQty is greater than maxQty');
  const band = spec['marketPriceBandBps'] ?? 500;
  if (!isIntIn(band, 1, 100_000)) return invalid(s, 'marketPriceBandBps must be an integer 1-100000');
  const stp = spec['selfTradePrevention'] ?? 'CANCEL_NEWEST';
  if (!STP_MODES.includes(stp as StpMode))
    return invalid(s, `selfTradePrevention must be one of ${STP_MODES.join(', ')}`);
  const maxOpen = spec['maxOpenOrders'] ?? DEFAULT_MAX_OPEN_ORDERS;
  if (!isIntIn(maxOpen, 1, MAX_OPEN_ORDERS_LIMIT))
    return invalid(s, `maxOpenOrders must be an integer 1-${MAX_OPEN_ORDERS_LIMIT}`);
  // The per-user default never exceeds the symbol's own cap, so a small maxOpenOrders alone is a valid spec.
  const maxPerUser = spec['maxOpenOrdersPerUser'] ?? Math.min(DEFAULT_MAX_OPEN_ORDERS_PER_USER, maxOpen);
  if (!isIntIn(maxPerUser, 1, maxOpen))
    return invalid(s, `maxOpenOrdersPerUser must be an integer 1-${maxOpen} (at most maxOpenOrders)`);
  return ok(
    Object.freeze({
      symbol: s,
      base,
      quote,
      priceScale,
      quantityScale,
      tickSize,
      lotSize,
      minQty,
      maxQty,
      marketPriceBandBps: band,
      selfTradePrevention: stp as StpMode,
      maxOpenOrders: maxOpen,
      maxOpenOrdersPerUser: maxPerUser,
      tickScale: tick.value.scale,
      tickUnits: tick.value.units,
      lotScale: lot.value.scale,
      lotUnits: lot.value.units,
      minLots: min.value,
      maxLots: max.value,
    }),
  );
}

/** The spec an instrument was compiled from, defaults filled in (what a snapshot stores). */
export function instrumentSpec(i: Instrument): InstrumentSpec {
  return {
    symbol: i.symbol,
    base: i.base,
    quote: i.quote,
    priceScale: i.priceScale,
    quantityScale: i.quantityScale,
    tickSize: i.tickSize,
    lotSize: i.lotSize,
    minQty: i.minQty,
    maxQty: i.maxQty,
    marketPriceBandBps: i.marketPriceBandBps,
    selfTradePrevention: i.selfTradePrevention,
    maxOpenOrders: i.maxOpenOrders,
    maxOpenOrdersPerUser: i.maxOpenOrdersPerUser,
  };
}

/** Price string → ticks, checked against scale and tick size. */
export function priceToTicks(i: Instrument, price: unknown): Result<number> {
  return parseSteps(price, i.tickScale, i.tickUnits, i.priceScale, 'MONEY_ERR_OFF_TICK', 'price');
}

/** Quantity string → lots, checked against scale, lot size, minQty and maxQty. */
export function quantityToLots(i: Instrument, quantity: unknown): Result<number> {
  const r = parseSteps(quantity, i.lotScale, i.lotUnits, i.quantityScale, 'MONEY_ERR_OFF_LOT', 'quantity');
  if (!r.ok) return r;
  if (r.value < i.minLots)
    return fail('MONEY_ERR_MIN_QTY', `quantity "${String(quantity)}" is below the minimum ${i.minQty}`);
  if (r.value > i.maxLots)
    return fail('MONEY_ERR_MAX_QTY', `quantity "${String(quantity)}" is above the maximum ${i.maxQty}`);
  return r;
}

/**
 * Allocation-free forms for the engine's hot loop: a positive tick or lot count when the amount is valid, else -1
 * (then `priceToTicks`/`quantityToLots` give the coded reason).
 */
export function priceTicksOrInvalid(i: Instrument, price: unknown): number {
  if (typeof price !== 'string') return -1;
  const ticks = countSteps(price, i.tickScale, i.tickUnits, i.priceScale);
  return ticks > 0 ? ticks : -1;
}

export function quantityLotsOrInvalid(i: Instrument, quantity: unknown): number {
  if (typeof quantity !== 'string') return -1;
  const lots = countSteps(quantity, i.lotScale, i.lotUnits, i.quantityScale);
  return lots >= i.minLots && lots <= i.maxLots ? lots : -1;
}

export function ticksToPrice(i: Instrument, ticks: number): string {
  return formatSteps(ticks, i.tickUnits, i.tickScale, i.priceScale);
}

/** Lots as a quantity; a bigint for sums (price-level totals) that may pass 2^53. */
export function lotsToQuantity(i: Instrument, lots: number | bigint): string {
  return formatSteps(lots, i.lotUnits, i.lotScale, i.quantityScale);
}
