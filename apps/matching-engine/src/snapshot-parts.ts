import { EngineError } from './errors';

/**
 * Splits a JSON-able state into bounded parts and joins them back. Part 0 is the state with every array longer
 * than `maxItems` replaced by a reference to the parts holding its slices; the slices follow. No single string,
 * packet or blob then grows with the whole book (a book of millions of orders is one JSON string past V8's limit,
 * and one blob past max_allowed_packet), and serialising happens part by part.
 */

const SLICES = '$shardexSlices';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function toParts(state: unknown, maxItems: number): unknown[] {
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError('maxItems must be a positive integer');
  const parts: unknown[] = [null];
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length > maxItems) {
        const refs: number[] = [];
        for (let i = 0; i < v.length; i += maxItems) {
          refs.push(parts.length);
          parts.push(v.slice(i, i + maxItems));
        }
        return { [SLICES]: refs };
      }
      return v.map(walk);
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    return v;
  };
  parts[0] = walk(state);
  return parts;
}

export function fromParts(parts: readonly unknown[]): unknown {
  if (parts.length === 0) throw new EngineError('ENGINE_ERR_SNAPSHOT', 'snapshot has no parts');
  const walk = (v: Json): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const refs = v[SLICES];
      if (refs !== undefined) {
        if (!Array.isArray(refs)) throw new EngineError('ENGINE_ERR_SNAPSHOT', 'bad slice reference');
        const out: unknown[] = [];
        for (const r of refs) {
          const slice = typeof r === 'number' && r > 0 ? parts[r] : undefined;
          if (!Array.isArray(slice))
            throw new EngineError('ENGINE_ERR_SNAPSHOT', `snapshot part ${String(r)} is missing`);
          for (const item of slice) out.push(item);
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
