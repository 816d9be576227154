import type { Logger } from '@shardex/contracts';
import { isFenced, type SnapshotStore, type StoredSnapshot, type TopicOffsets, type WriteFence } from '@shardex/db';
import type { BookSnapshot } from '@shardex/order-book';
import { EngineError } from './errors';
import type { EngineMetrics } from './metrics';
import type { OrderStatics } from './projection';
import type { Positions } from './sequencer';
import { fromParts, toParts } from './snapshot-parts';

/** What a snapshot of the shard holds besides the topic offsets it covers. */
export interface EngineSnapshotState {
  book: BookSnapshot;
  orders: Array<[string, OrderStatics]>;
  /** issuedAt of the last applied command: the time of rows written for engine-initiated events. */
  lastIssuedAt: number;
  /** Commands since the last DEPTH round: DEPTH events take sequence numbers, so their cadence must survive a restart. */
  sinceDepth: number;
}

export interface RestoredSnapshot {
  id: number;
  seq: number;
  state: EngineSnapshotState;
  /** From the snapshot's offsets; undefined for a topic it does not name. */
  positions: Partial<Positions>;
}

export interface SnapshotterOptions {
  store: Pick<SnapshotStore, 'save' | 'recent' | 'load'>;
  fence: WriteFence;
  shardId: string;
  preloadTopic: string;
  inputTopic: string;
  metrics: EngineMetrics;
  logger: Logger;
  /** Snapshot after this many applied commands ... */
  everyCommands: number;
  /** ... or this long after the last one (when commands were applied since), ms. */
  everyMs: number;
  /** Array items per stored part (see snapshot-parts.ts). */
  partItems: number;
  now: () => number;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks what a stored snapshot decodes to before anything is restored from it. */
function checkState(raw: unknown, id: number): EngineSnapshotState {
  const s = raw as Partial<EngineSnapshotState> | null;
  const bad = (why: string) => new EngineError('ENGINE_ERR_SNAPSHOT', `snapshot ${id}: ${why}`);
  if (!s || typeof s !== 'object') throw bad('not an object');
  if (!s.book || typeof s.book !== 'object') throw bad('no book');
  if (!Array.isArray(s.orders)) throw bad('no order statics');
  if (!num(s.lastIssuedAt) || !num(s.sinceDepth)) throw bad('bad cadence fields');
  // The statics of exactly the book's open orders: a row for an order must always find its statics.
  const open = new Set<string>();
  for (const b of (s.book.books ?? []) as Array<{ orders?: unknown[] }>)
    for (const o of b.orders ?? []) if (Array.isArray(o) && typeof o[0] === 'string') open.add(o[0]);
  const statics = new Set<string>();
  for (const entry of s.orders) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !entry[1] || typeof entry[1] !== 'object')
      throw bad('malformed order statics');
    statics.add(entry[0]);
  }
  for (const id of open) if (!statics.has(id)) throw bad(`open order ${id} has no statics`);
  return s as EngineSnapshotState;
}

/**
 * Takes and restores the shard's snapshots: when one is due (a command count or a time), in bounded parts, in a
 * transaction fenced by the shard's lease. A failed snapshot is logged and counted and tried again only after
 * another full interval, never on every following batch: the data is durable without it, replay is just longer.
 */
export class Snapshotter {
  private lastAt: number;
  private retryAt = 0;

  constructor(private readonly o: SnapshotterOptions) {
    this.lastAt = o.now();
  }

  due(sinceSnapshot: number): boolean {
    if (sinceSnapshot === 0) return false;
    const now = this.o.now();
    if (now < this.retryAt) return false;
    return sinceSnapshot >= this.o.everyCommands || now - this.lastAt >= this.o.everyMs;
  }

  /**
   * Stores a snapshot. Throws only when the writer is fenced (the caller must stop); other failures are logged and
   * counted, and the next attempt waits for another interval.
   */
  async take(state: EngineSnapshotState, positions: Positions, seq: number): Promise<boolean> {
    const { store, fence, shardId, preloadTopic, inputTopic, metrics, logger, partItems, now } = this.o;
    const offsets: TopicOffsets = {
      [preloadTopic]: { '0': positions.preload.toString() },
      [inputTopic]: { '0': positions.input.toString() },
    };
    const started = now();
    try {
      const saved = await store.save({
        shardId,
        seq,
        offsets,
        parts: toParts(state, partItems),
        at: started,
        fence,
        preloadTopic,
      });
      this.lastAt = now();
      this.retryAt = 0;
      metrics.snapshots++;
      metrics.lastSnapshotAt = this.lastAt;
      metrics.lastSnapshotSeq = seq;
      logger.info(
        { snapshotId: saved.id, seq, chunks: saved.chunks, bytes: saved.bytes, ms: this.lastAt - started },
        'snapshot stored',
      );
      return true;
    } catch (err) {
      if (isFenced(err)) throw err;
      metrics.snapshotFailures++;
      this.retryAt = now() + Math.min(this.o.everyMs, 60_000);
      logger.error({ err, seq }, 'snapshot failed; the data is durable without it, the next attempt waits an interval');
      return false;
    }
  }

  /**
   * The newest usable snapshot of the shard, checked; an unreadable or inconsistent one is logged and the next older
   * kept one tried (the journal keeps what the oldest kept snapshot needs). Undefined when there is none at all;
   * when there are some but none is usable, it refuses to start rather than replay from scratch on top of nothing.
   */
  async restore(): Promise<RestoredSnapshot | undefined> {
    const ids = await this.o.store.recent(this.o.shardId);
    let firstError: unknown;
    for (const id of ids) {
      try {
        const stored = await this.o.store.load(this.o.shardId, id);
        if (stored) return this.check(stored);
      } catch (err) {
        firstError ??= err;
        this.o.logger.error({ err, snapshotId: id }, 'snapshot unusable; trying the previous one');
      }
    }
    if (ids.length === 0) return undefined;
    throw new EngineError('ENGINE_ERR_SNAPSHOT', `none of the ${ids.length} kept snapshots can be restored`, {
      cause: firstError,
    });
  }

  private check(stored: StoredSnapshot): RestoredSnapshot {
    const state = checkState(fromParts(stored.parts), stored.id);
    const at = (topic: string) => {
      const v = stored.offsets[topic]?.['0'];
      return v === undefined ? undefined : BigInt(v);
    };
    const positions: Partial<Positions> = {};
    const preload = at(this.o.preloadTopic);
    const input = at(this.o.inputTopic);
    if (preload !== undefined) positions.preload = preload;
    if (input !== undefined) positions.input = input;
    return { id: stored.id, seq: stored.seq, state, positions };
  }
}
