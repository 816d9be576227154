/**
 * Exact arithmetic on the API's decimal strings ("65000.50", "0.0001"): sizes are summed as BigInt counts of the
 * finest unit among the operands, never as floating point. Only plain non-negative decimals occur (the gateway's
 * schemas guarantee it); anything else throws.
 */

const PLAIN = /^\d+(\.\d+)?$/;

interface Scaled {
  units: bigint;
  scale: number;
}

function parse(value: string): Scaled {
  if (!PLAIN.test(value)) throw new Error(`not a plain decimal: "${value}"`);
  const [whole = '0', fraction = ''] = value.split('.');
  return { units: BigInt(whole + fraction), scale: fraction.length };
}

function rescale(v: Scaled, scale: number): bigint {
  return v.units * 10n ** BigInt(scale - v.scale);
}

function format(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** a + b, at the larger of the two scales ("1.5" + "0.25" = "1.75", "1.50" + "1" = "2.50"). */
export function addDecimal(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return format(rescale(x, scale) + rescale(y, scale), scale);
}

/** Exact sum; "0" for none. */
export function sumDecimals(values: readonly string[]): string {
  return values.reduce((total, v) => addDecimal(total, v), '0');
}

/** -1, 0 or 1 as a is below, equal to or above b ("1.50" equals "1.5"). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * a / b as a number in [0, 1] for a bar's width on screen: the one place a size becomes floating point, for
 * drawing only (never shown as a figure nor sent anywhere).
 */
export function ratioForDisplay(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const den = rescale(y, scale);
  if (den === 0n) return 0;
  // Six significant digits are more than a pixel needs.
  return Number((rescale(x, scale) * 1_000_000n) / den) / 1_000_000;
}
