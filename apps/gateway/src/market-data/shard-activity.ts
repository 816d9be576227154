import type { EngineEvent, EngineState } from '@shardex/contracts';

/** What the output topics tell of one shard: its lifecycle, the instruments it owns, how far it got and how busy it is. */
export interface ShardActivityView {
  shardId: string;
  /** From its latest ENGINE_STATE the feed read (the warm-up tail included); null when none was in reach. */
  state: EngineState | null;
  /** The symbols that ENGINE_STATE listed. */
  symbols: string[] | null;
  /** The highest event seq read from the shard; null before any. */
  lastSeq: number | null;
  /** Commands the shard applied per second over the last `windowSeconds` whole seconds, counted from live events (history excluded). */
  commandsPerSecond: number;
}

export interface ShardActivityOptions {
  /** Every shard of the shard map, so shards that said nothing yet are listed too. */
  shardIds: readonly string[];
  /** Width of the commands/s window, whole seconds; default 10. */
  windowSeconds?: number;
}

interface Shard {
  state: EngineState | null;
  symbols: string[] | null;
  stateSeq: number;
  lastSeq: number | null;
  /** Per partition key: the commandId of the latest event, so the several events of one command count once. */
  lastCommand: Map<string, string>;
  /** Live commands counted per whole second of arrival: second → count (at most the window's seconds are kept). */
  perSecond: Map<number, number>;
}

/**
 * Per-shard activity derived from the de-duplicated output events the gateway consumes anyway. Pure: the caller
 * passes the clock reading with each event. A command's events are contiguous on one partition (they concern one
 * symbol, and a shard writes in seq order), so a change of commandId on a partition starts a new command.
 */
export class ShardActivity {
  private readonly shards = new Map<string, Shard>();
  private readonly windowSeconds: number;

  constructor({ shardIds, windowSeconds = 10 }: ShardActivityOptions) {
    this.windowSeconds = windowSeconds;
    for (const id of shardIds) this.shard(id);
  }

  private shard(shardId: string): Shard {
    let s = this.shards.get(shardId);
    if (!s) {
      s = { state: null, symbols: null, stateSeq: 0, lastSeq: null, lastCommand: new Map(), perSecond: new Map() };
      this.shards.set(shardId, s);
    }
    return s;
  }

  /** One de-duplicated event read from `partitionKey`; `live` is false for the warm-up history. */
  onEvent(partitionKey: string, e: EngineEvent, live: boolean, nowMs: number): void {
    const s = this.shard(e.shardId);
    if (s.lastSeq === null || e.seq > s.lastSeq) s.lastSeq = e.seq;
    if (e.code === 'ENGINE_STATE' && e.seq > s.stateSeq) {
      s.stateSeq = e.seq;
      s.state = e.payload.state;
      s.symbols = [...e.payload.symbols].sort();
    }
    if (e.commandId === undefined) return;
    if (s.lastCommand.get(partitionKey) === e.commandId) return;
    s.lastCommand.set(partitionKey, e.commandId);
    if (!live) return;
    const second = Math.floor(nowMs / 1000);
    s.perSecond.set(second, (s.perSecond.get(second) ?? 0) + 1);
    if (s.perSecond.size > this.windowSeconds + 1) this.prune(s, second);
  }

  /** Drops the seconds that fell out of the window ending with `second` (which is included). */
  private prune(s: Shard, second: number): void {
    for (const k of s.perSecond.keys()) if (k <= second - this.windowSeconds) s.perSecond.delete(k);
  }

  /** Every shard, ordered by id. */
  view(nowMs: number): ShardActivityView[] {
    return [...this.shards.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([shardId, s]) => {
        // The window is the last `windowSeconds` whole seconds before the current one (which is still filling).
        const current = Math.floor(nowMs / 1000);
        this.prune(s, current - 1);
        let commands = 0;
        for (const [second, n] of s.perSecond) if (second < current) commands += n;
        return {
          shardId,
          state: s.state,
          symbols: s.symbols,
          lastSeq: s.lastSeq,
          commandsPerSecond: Math.round((commands * 10) / this.windowSeconds) / 10,
        };
      });
  }
}
