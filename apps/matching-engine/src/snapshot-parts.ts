import { EngineError } from './errors';

/**
 * Splits a JSON-able state into bounded parts and joins them back. Every array longer than `inlineItems` is moved
 * out of its parent, its items packed into "bins" of at most `maxItems` items each (arrays nested in those items
 * are moved out the same way, first); part 0 is what remains — the state's shape with references — and the bins
 * follow. So no part holds more than `maxItems` items of any array however the state nests (many books of medium
 * size included), and a book of millions of orders is never one JSON string (past V8's string limit) nor one blob
 * (past max_allowed_packet). Each part is serialised and parsed on its own.
 */

const SLICES = '$shardexSlices';
/** Arrays this short stay where they are. */
const INLINE_ITEMS = 16;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** [bin (1-based part index), first item, item count] */
type Run = [number, number, number];

export function toParts(state: unknown, maxItems: number): unknown[] {
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError('maxItems must be a positive integer');
  const bins: unknown[][] = [];
  const place = (item: unknown, runs: Run[]) => {
    let bin = bins[bins.length - 1];
    if (!bin || bin.length >= maxItems) {
      bin = [];
      bins.push(bin);
    }
    const binIndex = bins.length; // parts[0] is the skeleton, so bin k is part k
    const last = runs[runs.length - 1];
    if (last && last[0] === binIndex && last[1] + last[2] === bin.length) last[2]++;
    else runs.push([binIndex, bin.length, 1]);
    bin.push(item);
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length <= INLINE_ITEMS) return v.map(walk);
      const runs: Run[] = [];
      // Each item is walked (its own long arrays moved out) before it is placed, so runs stay contiguous.
      for (const item of v) place(walk(item), runs);
      return { [SLICES]: runs };
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const skeleton = walk(state);
  return [skeleton, ...bins];
}

export function fromParts(parts: readonly unknown[]): unknown {
  if (parts.length === 0) throw new EngineError('ENGINE_ERR_SNAPSHOT', 'snapshot has no parts');
  const walk = (v: Json): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const runs = v[SLICES];
      if (runs !== undefined) {
        if (!Array.isArray(runs)) throw new EngineError('ENGINE_ERR_SNAPSHOT', 'bad slice reference');
        const out: unknown[] = [];
        for (const run of runs) {
          const [bin, first, count] = Array.isArray(run) ? run : [];
          const items = typeof bin === 'number' && bin > 0 ? parts[bin] : undefined;
          if (
            !Array.isArray(items) ||
            typeof first !== 'number' ||
            typeof count !== 'number' ||
            first + count > items.length
          )
            throw new EngineError('ENGINE_ERR_SNAPSHOT', `snapshot part ${String(bin)} is missing or short`);
          for (let i = first; i < first + count; i++) out.push(walk(items[i] as Json));
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(parts[0] as Json);
}
