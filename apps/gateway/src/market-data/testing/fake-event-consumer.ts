import { encodeEvent, type EngineEvent } from '@shardex/contracts';
import type { BatchHandler, ConsumedMessage, ConsumerStatus, RunHooks } from '@shardex/kafka';
import type { EventConsumerPort } from '../event-consumer.port';

/**
 * An in-memory stand-in for the feed's consumer: topics as partitioned logs, and batches handed out only when a
 * test says so (`deliver`, `drain`), with the sizes it asks for — so split batches, rejoins and crashes are
 * deterministic. It behaves like the kafkajs adapter as far as the feed can tell: a new group reads from the
 * beginning unless the join hook seeks, seeks are applied on the next fetch, the batch says the high watermark.
 */
export class FakeEventConsumer implements EventConsumerPort {
  private readonly logs = new Map<string, ConsumedMessage[][]>();
  private readonly low = new Map<string, number[]>();
  private readonly position = new Map<string, number>();
  private readonly pendingSeeks = new Map<string, number>();
  private subscribed: string[] = [];
  private handler: BatchHandler | null = null;
  private hooks: RunHooks = {};
  private running = false;
  private crashed: Error | null = null;
  readonly seeks: Array<{ topic: string; partition: number; offset: string }> = [];
  connected = false;
  /** Make the next connect() fail (a broker that does not answer). */
  failConnect: Error | null = null;

  /** `topics`: topic → partition count. */
  constructor(topics: Record<string, number>) {
    for (const [topic, n] of Object.entries(topics)) {
      this.logs.set(
        topic,
        Array.from({ length: n }, () => []),
      );
      this.low.set(
        topic,
        Array.from({ length: n }, () => 0),
      );
    }
  }

  /** Appends an encoded event (or raw bytes, for malformed records); returns its offset. */
  append(
    topic: string,
    partition: number,
    event: EngineEvent | { value: string; headers?: Record<string, string> },
  ): number {
    const log = this.log(topic, partition);
    const encoded =
      'code' in event ? encodeEvent(event) : { key: '', value: event.value, headers: event.headers ?? {} };
    const offset = this.highOf(topic, partition);
    log.push({
      topic,
      partition,
      offset: String(offset),
      key: Buffer.from(encoded.key),
      value: Buffer.from(encoded.value),
      headers: encoded.headers,
    });
    return offset;
  }

  /** Drops records below `offset` (retention). */
  truncate(topic: string, partition: number, offset: number): void {
    const log = this.log(topic, partition);
    const keep = log.filter((m) => Number(m.offset) >= offset);
    log.splice(0, log.length, ...keep);
    (this.low.get(topic) as number[])[partition] = offset;
  }

  async connect(): Promise<void> {
    if (this.failConnect) throw this.failConnect;
    this.connected = true;
  }
  async subscribe(topics: readonly string[]): Promise<void> {
    for (const t of topics)
      if (!this.logs.has(t)) throw new Error(`This server does not host this topic-partition: ${t}`);
    this.subscribed = [...topics];
  }
  async run(handler: BatchHandler, hooks: RunHooks = {}): Promise<void> {
    this.handler = handler;
    this.hooks = hooks;
    this.running = true;
    this.join();
  }
  seek(topic: string, partition: number, offset: string): void {
    this.seeks.push({ topic, partition, offset });
    this.pendingSeeks.set(`${topic}#${partition}`, Number(offset));
  }
  async earliestOffsets(topic: string): Promise<Map<number, string>> {
    const low = this.low.get(topic);
    if (!low) throw new Error(`unknown topic ${topic}`);
    return new Map(low.map((o, p) => [p, String(o)]));
  }
  async latestOffsets(topic: string): Promise<Map<number, string>> {
    const parts = this.logs.get(topic);
    if (!parts) throw new Error(`unknown topic ${topic}`);
    return new Map(parts.map((_, p) => [p, String(this.highOf(topic, p))]));
  }
  status(): ConsumerStatus {
    return { running: this.running, lastActivityAt: Date.now(), crashed: this.crashed };
  }
  async disconnect(): Promise<void> {
    this.running = false;
    this.connected = false;
  }

  /** The group re-joins (a rebalance, or kafkajs restarting the consumer): positions fall back, the hook re-seeks. */
  join(): void {
    // No committed offsets in this group: kafkajs would start from the beginning (the earliest retained offset).
    for (const topic of this.subscribed) {
      (this.logs.get(topic) ?? []).forEach((_, p) => this.position.set(`${topic}#${p}`, this.lowOf(topic, p)));
    }
    this.pendingSeeks.clear();
    this.hooks.onAssigned?.(
      Object.fromEntries(this.subscribed.map((t) => [t, (this.logs.get(t) ?? []).map((_, p) => p)])),
    );
    this.applySeeks();
  }

  crash(error: Error, willRestart: boolean): void {
    if (!willRestart) {
      this.running = false;
      this.crashed = error;
    }
    this.hooks.onCrash?.(error, willRestart);
    if (willRestart) this.join();
  }

  /**
   * Hands one batch of up to `max` records of a partition to the handler, from its position. `highWatermark`
   * overrides what the batch reports (default: the log's end now). Returns how many records were handed out.
   */
  async deliver(
    topic: string,
    partition = 0,
    { max = Number.MAX_SAFE_INTEGER, highWatermark }: { max?: number; highWatermark?: number | null } = {},
  ): Promise<number> {
    if (!this.handler || !this.running) return 0;
    this.applySeeks();
    const key = `${topic}#${partition}`;
    const at = this.position.get(key) ?? this.lowOf(topic, partition);
    const batch = this.log(topic, partition)
      .filter((m) => Number(m.offset) >= at)
      .slice(0, max);
    if (batch.length === 0) return 0;
    const hw = highWatermark === null ? undefined : String(highWatermark ?? this.highOf(topic, partition));
    const last = await this.handler(batch, {
      fetchedOffset: String(at),
      ...(hw !== undefined && { highWatermark: hw }),
      shouldContinue: () => this.running && !this.pendingSeeks.has(key),
      heartbeat: async () => undefined,
    });
    if (this.pendingSeeks.has(key)) this.applySeeks();
    else if (last !== undefined) this.position.set(key, Number(last) + 1);
    return batch.length;
  }

  /** Delivers whole batches from every subscribed partition until nothing is left. */
  async drain(): Promise<void> {
    for (;;) {
      let n = 0;
      for (const topic of this.subscribed) {
        for (let p = 0; p < (this.logs.get(topic) ?? []).length; p++) n += await this.deliver(topic, p);
      }
      if (n === 0) return;
    }
  }

  private applySeeks(): void {
    for (const [key, offset] of this.pendingSeeks) this.position.set(key, offset);
    this.pendingSeeks.clear();
  }
  private log(topic: string, partition: number): ConsumedMessage[] {
    const log = this.logs.get(topic)?.[partition];
    if (!log) throw new Error(`no partition ${topic}#${partition}`);
    return log;
  }
  private lowOf(topic: string, partition: number): number {
    return this.low.get(topic)?.[partition] ?? 0;
  }
  private highOf(topic: string, partition: number): number {
    const log = this.log(topic, partition);
    const last = log[log.length - 1];
    return last ? Number(last.offset) + 1 : this.lowOf(topic, partition);
  }
}
