import {
  type Command,
  decodeCommand,
  encodeEvent,
  type EngineEvent,
  type EngineState,
  isLifecycleCommand,
  type Logger,
} from '@shardex/contracts';
import type { SnapshotStore, TopicOffsets } from '@shardex/db';
import type { ConsumedMessage, KafkaConsumer } from '@shardex/kafka';
import { type BookSnapshot, OrderBook } from '@shardex/order-book';
import type { OutgoingRecord, ProducerPort, ShardInfo } from '@shardex/order-router';
import type { WriteBuffer } from '@shardex/write-buffer';
import { OrderProjection, type OrderStatics } from './projection';

/** What a snapshot of the shard holds besides the topic offsets it covers. */
export interface EngineSnapshotState {
  book: BookSnapshot;
  orders: Array<[string, OrderStatics]>;
  /** issuedAt of the last applied command: the time of rows written for engine-initiated events. */
  lastIssuedAt: number;
  /** Commands since the last DEPTH round: DEPTH events take sequence numbers, so their cadence must survive a restart. */
  sinceDepth: number;
}

export interface EngineMetrics {
  commandsApplied: number;
  eventsPublished: number;
  deadLettered: number;
  batches: number;
  lastBatchSize: number;
  snapshots: number;
  lastSnapshotAt: number | null;
  lastSnapshotSeq: number | null;
}

export interface ShardEngineDeps {
  shard: ShardInfo;
  consumer: KafkaConsumer;
  producer: ProducerPort & { flush(): Promise<void> };
  writeBuffer: WriteBuffer;
  snapshots: SnapshotStore;
  logger: Logger;
  snapshotEveryCommands?: number;
  snapshotEveryMs?: number;
  depthEveryCommands?: number;
  depthLevels?: number;
  /** Wall clock, used only to decide when a time-based snapshot is due (never for engine output). */
  now?: () => number;
  /**
   * Called when a batch fails after its commands were applied (events not acknowledged, rows not written): the
   * in-memory book is then ahead of what is durable, and the only safe way on is to restart from the last snapshot.
   * The process's main exits on it; the default rethrows.
   */
  onFatal?: (err: unknown) => void;
}

/** Headers a dead-letter record adds to the original message's. */
export const DLQ_CODE = 'shardex-dlq-code';
export const DLQ_REASON = 'shardex-dlq-reason';
export const DLQ_SOURCE = 'shardex-source';

/**
 * One shard's process loop: consume the preload (lifecycle) and input (orders) topics, apply each command to the
 * order book, publish the events, persist the rows, and commit offsets only once the events are acknowledged and the
 * rows written. Snapshots of the book (with the offsets they cover) bound replay; on start the engine restores the
 * latest and replays from its offsets, which reproduces the same events and rows.
 */
export class ShardEngine {
  private book!: OrderBook;
  private projection!: OrderProjection;
  /** Next offset to read per topic and partition — in the very shape a snapshot records. */
  private readonly positions: TopicOffsets = {};
  private sinceSnapshot = 0;
  private sinceDepth = 0;
  private lastSnapshotAt = 0;
  private lastIssuedAt = 0;
  /** The consumer starts unpaused; start() pauses input unless the restored state is RUNNING. */
  private inputPaused = false;
  private stopping = false;
  private failed = false;
  readonly metrics: EngineMetrics = {
    commandsApplied: 0,
    eventsPublished: 0,
    deadLettered: 0,
    batches: 0,
    lastBatchSize: 0,
    snapshots: 0,
    lastSnapshotAt: null,
    lastSnapshotSeq: null,
  };
  private readonly d: Required<Omit<ShardEngineDeps, 'now' | 'onFatal'>> & {
    now: () => number;
    onFatal: (err: unknown) => void;
  };

  constructor(deps: ShardEngineDeps) {
    this.d = {
      snapshotEveryCommands: 10_000,
      snapshotEveryMs: 60_000,
      depthEveryCommands: 100,
      depthLevels: 10,
      now: Date.now,
      onFatal: (err: unknown) => {
        throw err;
      },
      ...deps,
    };
  }

  get state(): EngineState {
    return this.book?.engineState ?? 'NEW';
  }

  get lastSeq(): number {
    return this.book?.lastSeq ?? 0;
  }

  /** Messages on the input topic not yet applied (high watermark minus position, over its partitions). */
  async inputLag(): Promise<number> {
    const topic = this.d.shard.kafkaInputTopic;
    let lag = 0n;
    for (const [partition, high] of await this.d.consumer.latestOffsets(topic)) {
      const at = this.positions[topic]?.[partition];
      if (at !== undefined && BigInt(high) > BigInt(at)) lag += BigInt(high) - BigInt(at);
    }
    return Number(lag);
  }

  /** Restores the latest snapshot (or starts empty), positions the consumer and starts consuming. */
  async start(): Promise<void> {
    const { shard, consumer, snapshots, logger } = this.d;
    const latest = await snapshots.latest<EngineSnapshotState>(shard.shardId);
    if (latest) {
      this.book = OrderBook.restore(latest.state.book, { shardId: shard.shardId });
      this.projection = new OrderProjection(shard.shardId, latest.state.orders);
      this.lastIssuedAt = latest.state.lastIssuedAt;
      this.sinceDepth = latest.state.sinceDepth;
      this.metrics.lastSnapshotSeq = latest.seq;
      logger.info(
        { snapshotId: latest.id, seq: latest.seq, state: this.book.engineState, openOrders: this.book.openOrderCount },
        'restored snapshot',
      );
    } else {
      this.book = new OrderBook({ shardId: shard.shardId });
      this.projection = new OrderProjection(shard.shardId);
      logger.info({}, 'no snapshot: replaying from the earliest retained offsets');
    }
    const topics = [shard.kafkaPreloadTopic, shard.kafkaInputTopic];
    for (const topic of topics) {
      const earliest = await consumer.earliestOffsets(topic);
      for (const [partition, low] of earliest) {
        const fromSnapshot = latest?.offsets[topic]?.[String(partition)];
        // A snapshot's offset may have been deleted by retention since: never seek below what is retained.
        (this.positions[topic] ??= {})[partition] =
          fromSnapshot !== undefined && BigInt(fromSnapshot) > BigInt(low) ? fromSnapshot : low;
      }
    }
    this.lastSnapshotAt = this.d.now();
    await consumer.subscribe(topics);
    await consumer.run((messages, control) => this.handleBatch(messages, control));
    for (const [topic, partitions] of Object.entries(this.positions)) {
      for (const [partition, offset] of Object.entries(partitions)) consumer.seek(topic, Number(partition), offset);
    }
    this.applyPause();
  }

  /** Stops consuming, writes what is buffered, and takes a final snapshot. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.d.consumer.disconnect();
    await this.d.producer.flush();
    await this.d.writeBuffer.flush();
    if (this.sinceSnapshot > 0) await this.snapshot();
    await this.d.writeBuffer.close();
  }

  /** Input is consumed only while RUNNING: paused, not dropped, otherwise. */
  private applyPause(): void {
    const running = this.book.engineState === 'RUNNING';
    if (running !== this.inputPaused) return;
    if (running) this.d.consumer.resume(this.d.shard.kafkaInputTopic);
    else this.d.consumer.pause(this.d.shard.kafkaInputTopic);
    this.inputPaused = !running;
  }

  private async handleBatch(
    messages: ConsumedMessage[],
    control: { shouldContinue(): boolean; heartbeat(): Promise<void> },
  ): Promise<string | undefined> {
    const { shard, consumer, writeBuffer } = this.d;
    let last: string | undefined;
    const sends: Array<Promise<void>> = [];
    for (const m of messages) {
      if (this.stopping || !control.shouldContinue()) break;
      const expected = this.positions[m.topic]?.[m.partition];
      // Exactly the next offset is applied. Behind it is a redelivery (already applied); ahead of it means the fetch
      // started from the group's committed offset before our seek took hold — go back and replay the gap.
      if (expected !== undefined && BigInt(m.offset) < BigInt(expected)) {
        last = m.offset;
        continue;
      }
      if (expected !== undefined && BigInt(m.offset) > BigInt(expected)) {
        consumer.seek(m.topic, m.partition, expected);
        break;
      }
      // Input fetched before a STOP took effect waits for the next START.
      if (m.topic === shard.kafkaInputTopic && this.book.engineState !== 'RUNNING') {
        consumer.seek(m.topic, m.partition, m.offset);
        break;
      }
      const stateBefore = this.book.engineState;
      const events = await this.apply(m, sends);
      for (const row of this.projection.rows(events, this.lastIssuedAt)) {
        await (row.kind === 'order' ? writeBuffer.addOrder(row.row) : writeBuffer.addTrade(row.row));
      }
      this.publish(events, sends);
      (this.positions[m.topic] ??= {})[m.partition] = (BigInt(m.offset) + 1n).toString();
      last = m.offset;
      this.metrics.commandsApplied++;
      this.sinceSnapshot++;
      if (++this.sinceDepth >= this.d.depthEveryCommands) {
        this.sinceDepth = 0;
        this.publish(this.book.takeDepthEvents(this.d.depthLevels), sends);
      }
      const lifecycleChanged = this.book.engineState !== stateBefore;
      if (lifecycleChanged) this.applyPause();
      // A snapshot right after a lifecycle change pins where it happened relative to the input topic.
      if (
        lifecycleChanged ||
        this.sinceSnapshot >= this.d.snapshotEveryCommands ||
        this.d.now() - this.lastSnapshotAt >= this.d.snapshotEveryMs
      ) {
        await Promise.all(sends.splice(0));
        await this.snapshot();
      }
      if (this.metrics.commandsApplied % 500 === 0) await control.heartbeat();
    }
    // Offsets are committed only after the events are acknowledged and the rows written.
    await Promise.all(sends);
    await writeBuffer.flush();
    if (last !== undefined && messages[0]) {
      await consumer.commit(messages[0].topic, messages[0].partition, (BigInt(last) + 1n).toString());
    }
    this.metrics.batches++;
    this.metrics.lastBatchSize = messages.length;
    return last;
  }

  /** Decodes and applies one message; poison goes to a rejection event (if it names an order) or the DLQ. */
  private async apply(m: ConsumedMessage, sends: Array<Promise<void>>): Promise<EngineEvent[]> {
    const { shard } = this.d;
    const decoded = decodeCommand(m);
    if (decoded.ok) {
      const command: Command = decoded.value;
      if (m.topic === shard.kafkaPreloadTopic && !isLifecycleCommand(command)) {
        this.deadLetter(
          m,
          'ENGINE_ERR_WRONG_TOPIC',
          `${command.code} belongs on the input topic, not the preload topic`,
          sends,
        );
        return [];
      }
      this.lastIssuedAt = command.issuedAt;
      return this.book.apply(command);
    }
    const about = sniff(m.value);
    if (about.orderId !== undefined) {
      return this.book.rejectUndecodable(about, decoded.code, decoded.message);
    }
    this.deadLetter(m, decoded.code, decoded.message, sends);
    return [];
  }

  private publish(events: readonly EngineEvent[], sends: Array<Promise<void>>): void {
    for (const e of events) {
      sends.push(this.d.producer.send({ topic: this.d.shard.kafkaOutputTopic, ...encodeEvent(e) }));
      this.metrics.eventsPublished++;
    }
  }

  private deadLetter(m: ConsumedMessage, code: string, reason: string, sends: Array<Promise<void>>): void {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.headers))
      if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0] : v)?.toString() ?? '';
    const record: OutgoingRecord = {
      topic: this.d.shard.kafkaDlqTopic,
      key: m.key?.toString() ?? '',
      value: m.value?.toString() ?? '',
      headers: {
        ...headers,
        [DLQ_CODE]: code,
        [DLQ_REASON]: reason.slice(0, 1000),
        [DLQ_SOURCE]: `${m.topic}:${m.partition}:${m.offset}`,
      },
    };
    sends.push(this.d.producer.send(record));
    this.metrics.deadLettered++;
    this.d.logger.warn({ code, reason, source: record.headers[DLQ_SOURCE] }, 'dead-lettered an undecodable message');
  }

  /** Everything before this point is acknowledged and written; record the state and where replay would resume. */
  private async snapshot(): Promise<void> {
    await this.d.producer.flush();
    await this.d.writeBuffer.flush();
    const offsets: TopicOffsets = Object.fromEntries(
      Object.entries(this.positions).map(([topic, p]) => [topic, { ...p }]),
    );
    const state: EngineSnapshotState = {
      book: this.book.snapshot(),
      orders: this.projection.export(),
      lastIssuedAt: this.lastIssuedAt,
      sinceDepth: this.sinceDepth,
    };
    const now = this.d.now();
    await this.d.snapshots.save(this.d.shard.shardId, this.book.lastSeq, offsets, state, now);
    this.sinceSnapshot = 0;
    this.lastSnapshotAt = now;
    this.metrics.snapshots++;
    this.metrics.lastSnapshotAt = now;
    this.metrics.lastSnapshotSeq = this.book.lastSeq;
  }
}

/** Best effort at naming the order inside an undecodable message, so the client hears a rejection. */
function sniff(value: Buffer | null): { orderId?: string; userId?: string; symbol?: string; commandId?: string } {
  try {
    const body = JSON.parse(value?.toString() ?? '') as { commandId?: unknown; payload?: Record<string, unknown> };
    const p = body.payload ?? {};
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : undefined);
    const out: { orderId?: string; userId?: string; symbol?: string; commandId?: string } = {};
    const orderId = str(p['orderId']);
    if (orderId === undefined) return {};
    out.orderId = orderId;
    const userId = str(p['userId']);
    if (userId) out.userId = userId;
    const symbol = str(p['symbol']);
    if (symbol) out.symbol = symbol;
    const commandId = str(body.commandId);
    if (commandId) out.commandId = commandId;
    return out;
  } catch {
    return {};
  }
}
