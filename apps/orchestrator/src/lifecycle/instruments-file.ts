import { compileInstrument, type InstrumentSpec } from '@shardex/contracts';
import type { ShardMap } from '@shardex/order-router';
import { parse as parseYaml } from 'yaml';
import { OrchestratorError } from '../errors';

/** An instruments file, checked with the engine's own rules and split by owning shard. */
export interface InstrumentPlan {
  /** Every shard of the map, with the instruments it owns (possibly none: its set is then empty). */
  byShard: Map<string, InstrumentSpec[]>;
  /** What the registry stores: every instrument with its shard. */
  assignments: Array<{ spec: InstrumentSpec; shardId: string }>;
}

/**
 * Reads `text` (JSON, or YAML for .yaml/.yml: a list of instrument specs, or `{ instruments: [...] }`), checks every
 * instrument with `compileInstrument` — the engine's own validation — and routes each to its shard. Every problem is
 * collected and reported at once, each with its instrument; nothing is sent unless there is none (ORCH_ERR_USAGE,
 * exit 2).
 */
export function planInstruments(text: string, fileName: string, shardMap: ShardMap): InstrumentPlan {
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `${fileName} is not valid ${/\.ya?ml$/i.test(fileName) ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
    );
  }
  const list = Array.isArray(data) ? data : (data as { instruments?: unknown } | null)?.instruments;
  if (!Array.isArray(list) || list.length === 0)
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `${fileName} must hold a non-empty list of instruments (or { instruments: [...] })`,
    );
  const problems: string[] = [];
  const seen = new Set<string>();
  const byShard = new Map<string, InstrumentSpec[]>(shardMap.shards.map((s) => [s.shardId, []]));
  const assignments: InstrumentPlan['assignments'] = [];
  list.forEach((item, i) => {
    const name =
      typeof (item as { symbol?: unknown })?.symbol === 'string' ? (item as { symbol: string }).symbol : `#${i + 1}`;
    const compiled = compileInstrument(item);
    if (!compiled.ok) {
      problems.push(`${name}: ${compiled.message}`);
      return;
    }
    const spec = item as InstrumentSpec;
    if (seen.has(spec.symbol)) {
      problems.push(`${spec.symbol}: listed more than once`);
      return;
    }
    seen.add(spec.symbol);
    let shardId: string;
    try {
      shardId = shardMap.route(spec.symbol).shardId;
    } catch (err) {
      problems.push(`${spec.symbol}: ${(err as Error).message}`);
      return;
    }
    byShard.get(shardId)?.push(spec);
    assignments.push({ spec, shardId });
  });
  if (problems.length > 0)
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `${fileName}: ${problems.length} problem(s), nothing was sent:\n  ${problems.join('\n  ')}`,
    );
  return { byShard, assignments };
}
