import type { Logger } from '@shardex/contracts';
import type { InstrumentRegistry, InstrumentSet } from '@shardex/db';
import type { ShardMap } from '@shardex/order-router';
import type { CatalogEntry, InstrumentCatalog } from '../ports';

export interface LoadedCatalog extends InstrumentCatalog {
  /** Loads the newest version if it changed; resolves false when none is stored yet. Throws when MySQL fails. */
  refresh(): Promise<boolean>;
  /** Symbols left out of the loaded version because the shard map routes them elsewhere (empty when consistent). */
  problems(): readonly string[];
  /** Polls the registry every `pollMs` until `stop()`. */
  start(pollMs: number): void;
  stop(): void;
}

/**
 * The gateway's instruments: the newest version of the instrument registry, which `orchestrator init` writes before
 * it broadcasts the same set to the shards. An instrument whose stored shard is not where this gateway's shard map
 * routes the symbol is left out (its orders would reach a shard that does not trade it) and reported, so a gateway
 * started with another shard map than the orchestrator's says so instead of misrouting.
 */
export function createInstrumentCatalog({
  registry,
  shardMap,
  logger,
}: {
  registry: Pick<InstrumentRegistry, 'latestVersion' | 'load'>;
  shardMap: ShardMap;
  logger?: Pick<Logger, 'warn' | 'error' | 'info'>;
}): LoadedCatalog {
  let loaded: InstrumentSet | undefined;
  let bySymbol = new Map<string, CatalogEntry>();
  let entries: CatalogEntry[] = [];
  let mismatched: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<boolean> | undefined;

  function install(set: InstrumentSet): void {
    const next = new Map<string, CatalogEntry>();
    const problems: string[] = [];
    for (const { instrument, shardId } of set.instruments) {
      let routed: string;
      try {
        routed = shardMap.route(instrument.symbol).shardId;
      } catch {
        routed = '(none)';
      }
      if (routed !== shardId) {
        problems.push(`${instrument.symbol}: stored on ${shardId}, routed to ${routed}`);
        continue;
      }
      next.set(instrument.symbol, { instrument, shardId });
    }
    loaded = set;
    bySymbol = next;
    entries = [...next.values()];
    mismatched = problems;
    if (problems.length > 0)
      logger?.error({ version: set.version, problems }, 'instruments routed to another shard than they were given to');
    logger?.info({ version: set.version, instruments: next.size }, 'instrument set loaded');
  }

  async function doRefresh(): Promise<boolean> {
    const latest = await registry.latestVersion();
    if (latest === undefined) return false;
    if (loaded?.version === latest) return true;
    const set = await registry.load(latest);
    if (!set) return loaded !== undefined; // pruned between the two reads: the next poll sees the newer one
    install(set);
    return true;
  }

  const catalog: LoadedCatalog = {
    lookup: (symbol) => bySymbol.get(symbol),
    list: () => entries,
    version: () => loaded?.version,
    problems: () => mismatched,
    refresh() {
      refreshing ??= doRefresh().finally(() => (refreshing = undefined));
      return refreshing;
    },
    start(pollMs) {
      if (timer) return;
      timer = setInterval(() => {
        catalog.refresh().catch((err: unknown) => logger?.warn({ err }, 'instrument registry poll failed'));
      }, pollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return catalog;
}
