import {
  DbError,
  type OrderRow,
  type PreloadJournal,
  type PreloadJournalEntry,
  type SnapshotStore,
  type StoredSnapshot,
  type TradeRow,
  type WriteFence,
} from '@shardex/db';
import type {
  BatchControl,
  BatchHandler,
  ConsumedMessage,
  ConsumerStatus,
  KafkaConsumer,
  RunHooks,
} from '@shardex/kafka';
import type { OutgoingRecord, ProducerPort } from '@shardex/order-router';
import { type BatchWriter, createWriteBufferCore, type WriteBuffer } from '@shardex/write-buffer';

/**
 * In-memory fakes of the engine's own ports, for unit tests of its logic (no broker, no database): topics as
 * offset-addressed logs, a consumer that hands out batches the way kafkajs does (from a position, honouring seeks
 * and pauses, re-joining on demand), a producer that can be made to fail, and in-memory stores.
 */

export interface LogMessage {
  offset: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Topics as logs; offsets need not be contiguous (transaction markers and aborted records leave gaps). */
export class FakeTopics {
  readonly logs = new Map<string, LogMessage[]>();
  /** The log's low watermark (retention). */
  readonly low = new Map<string, number>();

  append(topic: string, msg: Omit<LogMessage, 'offset'>, gapBefore = 0): number {
    const log = this.logs.get(topic) ?? [];
    this.logs.set(topic, log);
    const offset =
      (log.length === 0 ? (this.low.get(topic) ?? 0) : (log[log.length - 1] as LogMessage).offset + 1) + gapBefore;
    log.push({ ...msg, offset });
    return offset;
  }

  /** Deletes records below `offset` (what retention does). */
  truncate(topic: string, offset: number): void {
    this.logs.set(
      topic,
      (this.logs.get(topic) ?? []).filter((m) => m.offset >= offset),
    );
    this.low.set(topic, offset);
  }

  high(topic: string): number {
    const log = this.logs.get(topic) ?? [];
    return log.length === 0 ? (this.low.get(topic) ?? 0) : (log[log.length - 1] as LogMessage).offset + 1;
  }
}

export interface PumpOptions {
  /** Returns [0, 1): which topic goes next and how big a batch is. */
  random: () => number;
  maxBatch?: number;
  /** Chance per batch of a rebalance (the group re-joins: hooks.onAssigned runs again). */
  rejoinChance?: number;
}

/** A consumer over FakeTopics behaving like the kafkajs one as far as the engine can tell. */
export class FakeConsumer implements KafkaConsumer {
  private handler: BatchHandler | null = null;
  private hooks: RunHooks = {};
  private topics: string[] = [];
  private readonly position = new Map<string, number>();
  private readonly pendingSeek = new Map<string, number>();
  private readonly pausedTopics = new Set<string>();
  readonly commits: Array<{ topic: string; offset: string }> = [];
  private running = false;
  /** Assignment handed to onAssigned; tests change it to model another member taking the topics. */
  assignment: Record<string, number[]> | undefined;

  constructor(private readonly t: FakeTopics) {}

  async connect(): Promise<void> {}
  async subscribe(topics: readonly string[]): Promise<void> {
    this.topics = [...topics];
  }
  async run(handler: BatchHandler, hooks: RunHooks = {}): Promise<void> {
    this.handler = handler;
    this.hooks = hooks;
    this.running = true;
    // kafkajs starts at the group's committed offset (here: the log start), then the join hook seeks.
    for (const topic of this.topics) this.position.set(topic, this.t.low.get(topic) ?? 0);
    this.rejoin();
  }
  rejoin(): void {
    this.pausedTopics.clear(); // kafkajs forgets pauses when it restarts a consumer
    this.hooks.onAssigned?.(this.assignment ?? Object.fromEntries(this.topics.map((t) => [t, [0]])));
    this.applySeeks();
  }
  crash(error: Error, willRestart: boolean): void {
    if (!willRestart) this.running = false;
    this.hooks.onCrash?.(error, willRestart);
    if (willRestart) this.rejoin();
  }
  /** What kafkajs does on OffsetOutOfRange (the position fell to retention): it moves on by itself, unasked. */
  jumpTo(topic: string, offset: number): void {
    this.position.set(topic, offset);
  }

  seek(topic: string, _partition: number, offset: string): void {
    this.pendingSeek.set(topic, Number(offset));
  }
  pause(topic: string): void {
    this.pausedTopics.add(topic);
  }
  resume(topic: string): void {
    this.pausedTopics.delete(topic);
  }
  isPaused(topic: string): boolean {
    return this.pausedTopics.has(topic);
  }
  async commit(topic: string, _partition: number, nextOffset: string): Promise<void> {
    this.commits.push({ topic, offset: nextOffset });
  }
  async earliestOffsets(topic: string): Promise<Map<number, string>> {
    return new Map([[0, String(this.t.low.get(topic) ?? 0)]]);
  }
  async latestOffsets(topic: string): Promise<Map<number, string>> {
    return new Map([[0, String(this.t.high(topic))]]);
  }
  /** The fake's topics always exist: the engine's tests are about its order, not about missing topics. */
  async existingTopics(topics: readonly string[]): Promise<string[]> {
    return [...topics];
  }
  async committedOffsets(): Promise<Map<number, string>> {
    return new Map();
  }
  status(): ConsumerStatus {
    return { running: this.running, lastActivityAt: Date.now(), crashed: null };
  }
  async disconnect(): Promise<void> {
    this.running = false;
  }

  private applySeeks(): void {
    for (const [topic, offset] of this.pendingSeek) this.position.set(topic, offset);
    this.pendingSeek.clear();
  }

  /** Hands out one batch, if any topic has messages and is not paused; false when there was nothing to hand out. */
  async step({ random, maxBatch = 50, rejoinChance = 0 }: PumpOptions): Promise<boolean> {
    if (!this.handler || !this.running) return false;
    if (rejoinChance > 0 && random() < rejoinChance) this.rejoin();
    this.applySeeks();
    const ready = this.topics.filter((topic) => {
      if (this.pausedTopics.has(topic)) return false;
      const at = this.position.get(topic) ?? 0;
      return (this.t.logs.get(topic) ?? []).some((m) => m.offset >= at);
    });
    if (ready.length === 0) return false;
    const topic = ready[Math.floor(random() * ready.length)] as string;
    const at = this.position.get(topic) ?? 0;
    const size = 1 + Math.floor(random() * maxBatch);
    const batch: ConsumedMessage[] = (this.t.logs.get(topic) ?? [])
      .filter((m) => m.offset >= at)
      .slice(0, size)
      .map((m) => ({
        topic,
        partition: 0,
        offset: String(m.offset),
        key: Buffer.from(m.key),
        value: Buffer.from(m.value),
        headers: m.headers,
      }));
    const control: BatchControl = {
      fetchedOffset: String(at),
      shouldContinue: () => this.running && !this.pendingSeek.has(topic),
      heartbeat: async () => undefined,
    };
    const last = await this.handler(batch, control);
    if (this.pendingSeek.has(topic)) this.applySeeks();
    else if (last !== undefined) this.position.set(topic, Number(last) + 1);
    // Nothing resolved and no seek: kafkajs fetches from the last resolved offset again.
    return true;
  }

  /** Steps until nothing is left to hand out (or `limit` batches). */
  async drain(opts: PumpOptions, limit = 100_000): Promise<number> {
    let n = 0;
    while (n < limit && (await this.step(opts))) n++;
    return n;
  }
}

/** A producer appending to FakeTopics; `failWhen` makes matching sends fail (a broker that did not acknowledge). */
export class FakeProducer implements ProducerPort {
  failWhen: ((record: OutgoingRecord, n: number) => boolean) | null = null;
  private sends = 0;
  constructor(private readonly t: FakeTopics) {}

  async send(record: OutgoingRecord): Promise<void> {
    const n = ++this.sends;
    await Promise.resolve();
    if (this.failWhen?.(record, n)) throw new Error(`KAFKA_ERR_SEND: send ${n} to ${record.topic} not acknowledged`);
    this.t.append(record.topic, { key: record.key, value: record.value, headers: record.headers });
  }
}

/** Tables as maps, with the versioned-upsert semantics of the real writer. */
export class FakeTables {
  readonly orders = new Map<string, OrderRow>();
  readonly trades = new Map<string, TradeRow>();
  failNext = 0;

  writer(): BatchWriter {
    return async (orders, trades) => {
      await Promise.resolve();
      if (this.failNext > 0) {
        this.failNext--;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      for (const o of orders) {
        const cur = this.orders.get(o.orderId);
        if (!cur || o.version > cur.version) this.orders.set(o.orderId, o);
      }
      for (const t of trades) if (!this.trades.has(t.tradeId)) this.trades.set(t.tradeId, t);
      return { retries: 0, deadLettered: [] };
    };
  }

  writeBuffer(): WriteBuffer {
    return createWriteBufferCore({ writer: this.writer(), maxBatchSize: 100, flushIntervalMs: 1 });
  }
}

/** A lease with an epoch, as the fence sees it. */
export class FakeLease {
  epoch = 1;
  fence(shardId: string, epoch = this.epoch): WriteFence {
    return {
      shardId,
      epoch,
      assert: async () => {
        if (epoch !== this.epoch) throw new DbError('DB_ERR_FENCED', `epoch ${epoch}, lease at ${this.epoch}`);
      },
    };
  }
}

export class FakeSnapshotStore implements Pick<SnapshotStore, 'save' | 'latest' | 'recent' | 'load'> {
  readonly saved: StoredSnapshot[] = [];
  failing = false;
  constructor(private readonly journal?: FakeJournal) {}

  async save(s: Parameters<SnapshotStore['save']>[0]): Promise<{ id: number; chunks: number; bytes: number }> {
    await s.fence?.assert({} as never);
    if (this.failing) throw new Error('ER_NET_PACKET_TOO_LARGE');
    // A real round trip through JSON, as the store does.
    const parts = JSON.parse(JSON.stringify([...s.parts])) as unknown[];
    const id = this.saved.length + 1;
    this.saved.push({
      id,
      shardId: s.shardId,
      seq: s.seq,
      epoch: s.fence?.epoch ?? 0,
      offsets: JSON.parse(JSON.stringify(s.offsets)),
      parts,
      format: 'chunked',
    });
    // Kept: the newest three of the shard; the journal keeps what the oldest of them needs.
    const kept = this.saved.filter((x) => x.shardId === s.shardId).slice(-3);
    const preload = s.preloadTopic;
    if (preload !== undefined) {
      const lows = kept.map((x) => x.offsets[preload]?.['0']).filter((v): v is string => v !== undefined);
      if (lows.length > 0)
        this.journal?.prune(
          s.shardId,
          lows.map(BigInt).reduce((a, b) => (a < b ? a : b)),
        );
    }
    return { id, chunks: parts.length, bytes: 0 };
  }

  async latest(shardId: string): Promise<StoredSnapshot | undefined> {
    return [...this.saved].reverse().find((s) => s.shardId === shardId);
  }

  async recent(shardId: string): Promise<number[]> {
    return this.saved
      .filter((s) => s.shardId === shardId)
      .slice(-3)
      .map((s) => s.id)
      .reverse();
  }

  async load(shardId: string, id: number): Promise<StoredSnapshot | undefined> {
    return this.saved.find((s) => s.shardId === shardId && s.id === id);
  }
}

export class FakeJournal implements PreloadJournal {
  readonly entries = new Map<string, PreloadJournalEntry[]>();
  readonly frontiers = new Map<string, bigint>();

  async recordFrontier(fence: WriteFence, inputPosition: string): Promise<void> {
    await fence.assert({} as never);
    const cur = this.frontiers.get(fence.shardId) ?? 0n;
    if (BigInt(inputPosition) > cur) this.frontiers.set(fence.shardId, BigInt(inputPosition));
  }

  async frontier(shardId: string): Promise<string | undefined> {
    return this.frontiers.get(shardId)?.toString();
  }

  async record(fence: WriteFence, entries: readonly PreloadJournalEntry[]): Promise<void> {
    await fence.assert({} as never);
    const list = this.entries.get(fence.shardId) ?? [];
    for (const e of entries) {
      if (list.some((x) => x.preloadOffset === e.preloadOffset))
        throw new DbError('DB_ERR_JOURNAL_CONFLICT', `offset ${e.preloadOffset} already recorded`);
      list.push(e);
    }
    this.entries.set(fence.shardId, list);
  }

  async since(shardId: string, from: string): Promise<PreloadJournalEntry[]> {
    return (this.entries.get(shardId) ?? [])
      .filter((e) => BigInt(e.preloadOffset) >= BigInt(from))
      .sort((a, b) => (BigInt(a.preloadOffset) < BigInt(b.preloadOffset) ? -1 : 1));
  }

  prune(shardId: string, below: bigint): void {
    this.entries.set(
      shardId,
      (this.entries.get(shardId) ?? []).filter((e) => BigInt(e.preloadOffset) >= below),
    );
  }
}
