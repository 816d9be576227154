import { fail, type Failure, type MoneyErrorCode, ok, type Result } from './errors';

/**
 * Fixed-point money. At the edges amounts are decimal strings; inside they are integer counts of a unit
 * (a tick, a lot, or 10^-scale) held in a `number` only while exact (≤ 2^53 - 1), else refused.
 */

export const MAX_SCALE = 18;

// Negative return values of the scanner; kept as small ints so the hot path allocates nothing on failure.
const E_FORMAT = -1;
const E_EXPONENT = -2;
const E_NAN = -3;
const E_NEGATIVE = -4;
const E_SCALE = -5;
const E_GRID = -6;
const E_RANGE = -7;

const SCAN_ERRORS: Record<number, MoneyErrorCode> = {
  [E_FORMAT]: 'MONEY_ERR_FORMAT',
  [E_EXPONENT]: 'MONEY_ERR_EXPONENT',
  [E_NAN]: 'MONEY_ERR_NAN',
  [E_NEGATIVE]: 'MONEY_ERR_NEGATIVE',
  [E_SCALE]: 'MONEY_ERR_SCALE',
  [E_RANGE]: 'MONEY_ERR_RANGE',
};

const NOT_A_NUMBER = new Set(['nan', 'infinity', '+infinity', '-infinity', 'inf', '-inf']);

/** Why a string that is not a plain decimal was refused: exponent, NaN, sign, or just malformed. */
function classify(s: string): number {
  if (NOT_A_NUMBER.has(s.toLowerCase())) return E_NAN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/.test(s)) return E_EXPONENT;
  if (/^-(\d+)(\.\d+)?$/.test(s)) return /^-0+(\.0+)?$/.test(s) ? E_FORMAT : E_NEGATIVE;
  return E_FORMAT;
}

/**
 * Scans a plain decimal ("123", "0.05") into an integer count of 10^-keepScale. Fraction digits past keepScale
 * must be zero: a non-zero one within `gridScale` is off the grid (tick/lot), past it beyond the scale.
 * Returns the count (≥ 0) or a negative error code.
 */
function scan(s: string, keepScale: number, gridScale: number): number {
  const len = s.length;
  if (len === 0 || len > 64) return E_FORMAT;
  let i = 0;
  let v = 0;
  let c = s.charCodeAt(0);
  if (c < 48 || c > 57) return classify(s);
  while (i < len) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    const d = c - 48;
    if (v > (Number.MAX_SAFE_INTEGER - d) / 10) return E_RANGE;
    v = v * 10 + d;
    i++;
  }
  let frac = 0;
  if (i < len) {
    if (s.charCodeAt(i) !== 46 /* . */ || i === len - 1) return classify(s);
    i++;
    let bad = 0;
    while (i < len) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) return classify(s);
      frac++;
      const d = c - 48;
      if (frac <= keepScale) {
        if (v > (Number.MAX_SAFE_INTEGER - d) / 10) return E_RANGE;
        v = v * 10 + d;
      } else if (d !== 0 && bad === 0) {
        bad = frac <= gridScale ? E_GRID : E_SCALE;
      } else if (d !== 0 && bad === E_GRID && frac > gridScale) {
        bad = E_SCALE;
      }
      i++;
    }
    if (bad !== 0) return bad;
  }
  for (let k = frac < keepScale ? frac : keepScale; k < keepScale; k++) {
    if (v > Number.MAX_SAFE_INTEGER / 10) return E_RANGE;
    v *= 10;
  }
  return v;
}

function scanFailure(
  code: number,
  input: string,
  what: string,
  gridCode: MoneyErrorCode,
  gridScale: number,
): Failure<MoneyErrorCode> {
  if (code === E_GRID)
    return fail(
      gridCode,
      `${what} "${input}" is not a multiple of the ${gridCode === 'MONEY_ERR_OFF_TICK' ? 'tick' : 'lot'} size`,
    );
  const c = SCAN_ERRORS[code] ?? 'MONEY_ERR_FORMAT';
  const why: Record<string, string> = {
    MONEY_ERR_FORMAT: 'is not a plain decimal',
    MONEY_ERR_EXPONENT: 'uses exponent notation',
    MONEY_ERR_NAN: 'is not a number',
    MONEY_ERR_NEGATIVE: 'is negative',
    MONEY_ERR_SCALE: `has more than ${gridScale} decimal places`,
    MONEY_ERR_RANGE: 'is too large',
  };
  return fail(c, `${what} "${input.length > 40 ? `${input.slice(0, 40)}…` : input}" ${why[c] ?? 'is invalid'}`);
}

/** Parses a decimal string into a count of 10^-scale units (exact, ≤ 2^53 - 1). Zero is allowed. */
export function parseUnits(input: unknown, scale: number, what = 'amount'): Result<number, MoneyErrorCode> {
  if (typeof input !== 'string') {
    return fail(
      typeof input === 'number' ? 'MONEY_ERR_NOT_STRING' : 'MONEY_ERR_FORMAT',
      `${what} must be a decimal string, got ${typeof input}`,
    );
  }
  const v = scan(input, scale, scale);
  return v >= 0 ? ok(v) : scanFailure(v, input, what, 'MONEY_ERR_SCALE', scale);
}

/**
 * Parses into a count of grid steps (ticks or lots). `stepScale` is the number of decimals of the step,
 * `stepUnits` the step in 10^-stepScale units (tick 0.05 → scale 2, units 5), `maxScale` the instrument's scale.
 * The hot path of the engine: no allocation unless it fails.
 */
export function parseSteps(
  input: unknown,
  stepScale: number,
  stepUnits: number,
  maxScale: number,
  gridCode: 'MONEY_ERR_OFF_TICK' | 'MONEY_ERR_OFF_LOT',
  what: string,
): Result<number, MoneyErrorCode> {
  if (typeof input !== 'string') {
    return fail(
      typeof input === 'number' ? 'MONEY_ERR_NOT_STRING' : 'MONEY_ERR_FORMAT',
      `${what} must be a decimal string, got ${typeof input}`,
    );
  }
  const steps = countSteps(input, stepScale, stepUnits, maxScale);
  if (steps > 0) return ok(steps);
  if (steps === 0) return fail('MONEY_ERR_ZERO', `${what} must be greater than zero`);
  return scanFailure(steps, input, what, gridCode, maxScale);
}

/**
 * The allocation-free core of `parseSteps` for the engine's hot loop: the step count (> 0), 0 for zero, or a
 * negative code. On anything but a positive count, call `parseSteps` for the coded failure and its message.
 */
export function countSteps(input: string, stepScale: number, stepUnits: number, maxScale: number): number {
  const units = scan(input, stepScale, maxScale);
  if (units <= 0) return units;
  return units % stepUnits === 0 ? units / stepUnits : E_GRID;
}

/** Formats a count of 10^-scale units with exactly `scale` decimals ("100.50"); the canonical wire form. */
export function formatUnits(units: number | bigint, scale: number): string {
  if (typeof units === 'number' && (!Number.isSafeInteger(units) || units < 0)) {
    throw new RangeError(`formatUnits needs a non-negative safe integer, got ${units}`);
  }
  if (typeof units === 'bigint' && units < 0n)
    throw new RangeError(`formatUnits needs a non-negative amount, got ${units}`);
  const digits = units.toString();
  if (scale === 0) return digits;
  const padded = digits.length <= scale ? '0'.repeat(scale - digits.length + 1) + digits : digits;
  return `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

/** Formats `steps` grid steps of `stepUnits` (at stepScale) with `scale` decimals: 2001 ticks of 0.05 → "100.05". */
export function formatSteps(steps: number, stepUnits: number, stepScale: number, scale: number): string {
  const product = steps * stepUnits;
  const units = Number.isSafeInteger(product) ? product : BigInt(steps) * BigInt(stepUnits);
  const text = formatUnits(units, stepScale);
  if (scale === stepScale) return text;
  return stepScale === 0 ? `${text}.${'0'.repeat(scale)}` : text + '0'.repeat(scale - stepScale);
}

/** Exact decimal arithmetic for notional values (price × quantity) that may exceed 2^53: bigint in, string out. */
export function multiplyToString(a: number, aScale: number, b: number, bScale: number): string {
  return formatUnits(BigInt(a) * BigInt(b), aScale + bScale);
}

/** The decimals of a step ("0.05" → 2, "1" → 0, "0.10" → 1) and its size in those units (5, 1, 1). */
export function stepOf(step: string, maxScale: number): Result<{ scale: number; units: number }, MoneyErrorCode> {
  const units = parseUnits(step, maxScale, 'step');
  if (!units.ok) return units;
  if (units.value === 0) return fail('MONEY_ERR_ZERO', 'step must be greater than zero');
  let scale = maxScale;
  let u = units.value;
  while (scale > 0 && u % 10 === 0) {
    u /= 10;
    scale--;
  }
  return ok({ scale, units: u });
}
