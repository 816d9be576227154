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

/** The largest count that can be multiplied by 10 and stay exact. */
const MAX_TENTH = Math.floor(Number.MAX_SAFE_INTEGER / 10);

const NOT_A_NUMBER = new Set(['nan', 'infinity', '+infinity', '-infinity', 'inf', '-inf']);

/** Why a string that is not a plain decimal was refused: exponent, NaN, sign, or just malformed. */
function classify(s: string): number {
  if (NOT_A_NUMBER.has(s.toLowerCase())) return E_NAN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/.test(s)) return E_EXPONENT;
  // "-0" and "-0.00" are not negative, just not plain decimals.
  if (/^-(\d+)(\.\d+)?$/.test(s)) return /[1-9]/.test(s) ? E_NEGATIVE : E_FORMAT;
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
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    const d = c - 48;
    if (v > (Number.MAX_SAFE_INTEGER - d) / 10) return E_RANGE;
    v = v * 10 + d;
    i++;
  }
  // No digit before the point (".5", "-1", "NaN"): not a plain decimal, find out why.
  if (i === 0) return classify(s);
  let frac = 0;
  if (i < len) {
    if (s.charCodeAt(i) !== 46 /* . */ || i === len - 1) return classify(s);
    i++;
    let bad = 0;
    while (i < len) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return classify(s);
      frac++;
      const d = c - 48;
      if (frac <= keepScale) {
        if (v > (Number.MAX_SAFE_INTEGER - d) / 10) return E_RANGE;
        v = v * 10 + d;
      } else if (d !== 0) {
        // Digits come in order, so one beyond the scale (the worse failure) is always the last to be recorded.
        bad = frac > gridScale ? E_SCALE : E_GRID;
      }
      i++;
    }
    if (bad !== 0) return bad;
  }
  for (let k = frac; k < keepScale; k++) {
    if (v > MAX_TENTH) return E_RANGE;
    v *= 10;
  }
  return v;
}

/** The coded failure for a negative code of `scan` other than E_GRID (which only `parseSteps` can get). */
function scanFailure(code: number, input: string, what: string, scale: number): Failure<MoneyErrorCode> {
  const shown = `${what} "${input.length > 40 ? `${input.slice(0, 40)}…` : input}"`;
  switch (code) {
    case E_EXPONENT:
      return fail('MONEY_ERR_EXPONENT', `${shown} uses exponent notation`);
    case E_NAN:
      return fail('MONEY_ERR_NAN', `${shown} is not a number`);
    case E_NEGATIVE:
      return fail('MONEY_ERR_NEGATIVE', `${shown} is negative`);
    case E_SCALE:
      return fail('MONEY_ERR_SCALE', `${shown} has more than ${scale} decimal places`);
    case E_RANGE:
      return fail('MONEY_ERR_RANGE', `${shown} is too large`);
    default:
      return fail('MONEY_ERR_FORMAT', `${shown} is not a plain decimal`);
  }
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
  return v >= 0 ? ok(v) : scanFailure(v, input, what, scale);
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
  if (steps === E_GRID) {
    const step = gridCode === 'MONEY_ERR_OFF_TICK' ? 'tick' : 'lot';
    return fail(gridCode, `${what} "${input}" is not a multiple of the ${step} size`);
  }
  return scanFailure(steps, input, what, maxScale);
}

/**
 * The allocation-free core of `parseSteps` for the engine's hot loop: the step count (> 0), 0 for zero, or a
 * negative code. On anything but a positive count, call `parseSteps` for the coded failure and its message.
 */
export function countSteps(input: string, stepScale: number, stepUnits: number, maxScale: number): number {
  const units = scan(input, stepScale, maxScale);
  // Only an error code (< 0) must skip the division; zero divides to zero, so `<` and `<=` are the same here.
  // Stryker disable next-line EqualityOperator: at units = 0 both forms return 0
  if (units <= 0) return units;
  return units % stepUnits === 0 ? units / stepUnits : E_GRID;
}

/** Formats a count of 10^-scale units with exactly `scale` decimals ("100.50"); the canonical wire form. */
export function formatUnits(units: number | bigint, scale: number): string {
  if (typeof units === 'number' && !Number.isSafeInteger(units)) {
    throw new RangeError(`formatUnits needs a safe integer, got ${units}`);
  }
  if (units < 0) throw new RangeError(`formatUnits needs a non-negative amount, got ${units}`);
  const digits = units.toString();
  if (scale === 0) return digits;
  const padded = digits.length <= scale ? '0'.repeat(scale - digits.length + 1) + digits : digits;
  return `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

/**
 * Formats `steps` grid steps of `stepUnits` (at stepScale) with `scale` decimals: 2001 ticks of 0.05 → "100.05".
 * `steps` may be a bigint (a sum of lots past 2^53).
 */
export function formatSteps(steps: number | bigint, stepUnits: number, stepScale: number, scale: number): string {
  let units: number | bigint;
  if (typeof steps === 'bigint') units = steps * BigInt(stepUnits);
  else {
    const product = steps * stepUnits;
    units = Number.isSafeInteger(product) ? product : BigInt(steps) * BigInt(stepUnits);
  }
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
