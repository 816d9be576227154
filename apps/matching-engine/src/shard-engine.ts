import {
  type Command,
  decodeCommand,
  encodeEvent,
  type EngineEvent,
  type EngineState,
  isLifecycleCommand,
  type Logger,
} from '@shardex/contracts';
import type { PreloadJournal, SnapshotStore, WriteFence } from '@shardex/db';
import type { BatchControl, ConsumedMessage, KafkaConsumer } from '@shardex/kafka';
import { OrderBook } from '@shardex/order-book';
import type { ProducerPort, ShardInfo } from '@shardex/order-router';
import type { WriteBuffer } from '@shardex/write-buffer';
import { deadLetterRecord, sniffOrder } from './dead-letters';
import { AckTracker, checkpoint } from './durability';
import { EngineError } from './errors';
import { createEngineMetrics, type EngineMetrics } from './metrics';
import { Outbox } from './outbox';
import { OrderProjection } from './projection';
import { type Positions, Sequencer, type Topic, type Vanished } from './sequencer';
import { Snapshotter } from './snapshotter';

export type { EngineSnapshotState } from './snapshotter';
export { DLQ_CODE, DLQ_REASON, DLQ_SOURCE } from './dead-letters';

export interface ShardEngineDeps {
  shard: ShardInfo;
  consumer: KafkaConsumer;
  producer: ProducerPort;
  writeBuffer: WriteBuffer;
  snapshots: Pick<SnapshotStore, 'save' | 'recent' | 'load'>;
  journal: PreloadJournal;
  /** The lease epoch this incarnation writes under; snapshots and journal entries are fenced by it. */
  fence: WriteFence;
  logger: Logger;
  /** Shared by every incarnation of the process (counters stay monotonic across recoveries). */
  metrics?: EngineMetrics;
  snapshotEveryCommands?: number;
  snapshotEveryMs?: number;
  /** Array items per stored snapshot part. Default 10,000. */
  snapshotPartItems?: number;
  depthEveryCommands?: number;
  depthLevels?: number;
  /**
   * Longest a durability step may take (acknowledgements, a flush, a journal or frontier record, a snapshot), ms;
   * past it the incarnation fails (a hung connection must not hold the shard). Default 60,000.
   */
  checkpointTimeoutMs?: number;
  /** Messages applied between two releases of their events (each release first records the input frontier). Default 500. */
  releaseEvery?: number;
  /** Wall clock: only for when a time-based snapshot is due and for liveness, never for engine output. */
  now?: () => number;
  /**
   * Called once when the incarnation cannot go on (a send or flush failed, the lease or the consumer group was
   * lost, the consume loop died): what is in memory is ahead of what is durable, and the only safe way on is to
   * restart from the last snapshot. The engine has stopped applying by then.
   */
  onFatal?: (err: Error) => void;
}

type Defaults = Required<
  Pick<
    ShardEngineDeps,
    | 'snapshotEveryCommands'
    | 'snapshotEveryMs'
    | 'snapshotPartItems'
    | 'depthEveryCommands'
    | 'depthLevels'
    | 'checkpointTimeoutMs'
    | 'releaseEvery'
    | 'now'
  >
>;

/**
 * One incarnation of a shard: restore the latest snapshot, then consume the preload (lifecycle) and input (orders)
 * topics in the one total order the Sequencer gives them, apply each command to the order book, publish the events,
 * persist the rows, and make each batch durable in the order durability.ts spells out. Any failure on that path
 * ends the incarnation (onFatal); the next one restores the last snapshot and replays, reproducing the same events
 * and rows.
 */
export class ShardEngine {
  private book!: OrderBook;
  private projection!: OrderProjection;
  private seq!: Sequencer;
  private snapshotter!: Snapshotter;
  private readonly acks: AckTracker;
  private sinceSnapshot = 0;
  private sinceDepth = 0;
  private lastIssuedAt = 0;
  private committed: Positions | undefined;
  /** Records whose send waits for the input frontier to be recorded (see outbox.ts). */
  private outbox!: Outbox;
  /** What the consumer was last told, per topic; undefined until the first (re)join. */
  private paused: { preload: boolean | undefined; input: boolean | undefined } = {
    preload: undefined,
    input: undefined,
  };
  private stopping = false;
  private failure: Error | null = null;
  private abort!: (err: Error) => void;
  private readonly aborted: Promise<never>;
  private lastActivityAt: number;
  readonly metrics: EngineMetrics;
  private readonly d: ShardEngineDeps & Defaults;

  constructor(deps: ShardEngineDeps) {
    this.d = {
      snapshotEveryCommands: 10_000,
      snapshotEveryMs: 60_000,
      snapshotPartItems: 10_000,
      depthEveryCommands: 100,
      depthLevels: 10,
      checkpointTimeoutMs: 60_000,
      releaseEvery: 500,
      now: Date.now,
      ...deps,
    };
    this.metrics = deps.metrics ?? createEngineMetrics();
    this.acks = new AckTracker((err) => this.fatal(err));
    this.aborted = new Promise<never>((_, reject) => (this.abort = reject));
    this.aborted.catch(() => undefined); // observed through the races below
    this.lastActivityAt = this.d.now();
  }

  get state(): EngineState {
    return this.book?.engineState ?? 'NEW';
  }

  get lastSeq(): number {
    return this.book?.lastSeq ?? 0;
  }

  /** The error that ended this incarnation, if one did. */
  get failed(): Error | null {
    return this.failure;
  }

  get positions(): Positions | undefined {
    return this.seq?.positions;
  }

  /** Liveness of the consume loop: alive and showing activity within `withinMs`. */
  alive(withinMs: number): { ok: boolean; reason?: string } {
    const status = this.d.consumer.status();
    if (this.failure) return { ok: false, reason: `incarnation failed: ${this.failure.message}` };
    if (!status.running)
      return { ok: false, reason: `consume loop stopped${status.crashed ? `: ${status.crashed.message}` : ''}` };
    const last = Math.max(status.lastActivityAt, this.lastActivityAt);
    if (this.d.now() - last > withinMs)
      return { ok: false, reason: `no consume activity for ${this.d.now() - last} ms` };
    return { ok: true };
  }

  /** Messages on the input topic not yet applied (high watermark minus position). */
  async inputLag(): Promise<number> {
    const at = this.seq?.positions.input;
    if (at === undefined) return 0;
    const high = (await this.d.consumer.latestOffsets(this.d.shard.kafkaInputTopic)).get(0);
    return high !== undefined && BigInt(high) > at ? Number(BigInt(high) - at) : 0;
  }

  /** Restores the latest snapshot (or starts empty), positions the consumer and starts consuming. */
  async start(): Promise<void> {
    const { shard, consumer, logger, fence } = this.d;
    this.snapshotter = new Snapshotter({
      store: this.d.snapshots,
      fence,
      shardId: shard.shardId,
      preloadTopic: shard.kafkaPreloadTopic,
      inputTopic: shard.kafkaInputTopic,
      metrics: this.metrics,
      logger,
      everyCommands: this.d.snapshotEveryCommands,
      everyMs: this.d.snapshotEveryMs,
      partItems: this.d.snapshotPartItems,
      now: this.d.now,
    });
    const latest = await this.snapshotter.restore();
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
    if (latest && (latest.positions.preload === undefined || latest.positions.input === undefined))
      // Replaying a topic from its start on top of a book that has applied part of it would apply it twice.
      throw new EngineError(
        'ENGINE_ERR_SNAPSHOT',
        `snapshot ${latest.id} has no position for ${shard.kafkaPreloadTopic} or ${shard.kafkaInputTopic} (topics renamed?)`,
      );
    const positions: Positions = {
      preload: await this.startPosition(shard.kafkaPreloadTopic, latest?.positions.preload),
      input: await this.startPosition(shard.kafkaInputTopic, latest?.positions.input),
    };
    const schedule = (await this.d.journal.since(shard.shardId, positions.preload.toString())).map((e) => ({
      preload: BigInt(e.preloadOffset),
      input: BigInt(e.inputPosition),
    }));
    const frontier = BigInt((await this.d.journal.frontier(shard.shardId)) ?? '0');
    const inputEnd = BigInt((await consumer.latestOffsets(shard.kafkaInputTopic)).get(0) ?? '0');
    if (frontier > inputEnd)
      throw new EngineError(
        'ENGINE_ERR_TOPIC',
        `${shard.kafkaInputTopic} ends at ${inputEnd}, below the recorded input frontier ${frontier} (was it recreated?)`,
      );
    // Recorded decisions whose input position fell to retention go first, right where the input now starts (the
    // loss itself was counted above).
    this.seq = new Sequencer(positions, schedule, frontier);
    this.outbox = new Outbox(
      {
        producer: this.d.producer,
        journal: this.d.journal,
        fence: this.d.fence,
        acks: this.acks,
        within: (what, step) => this.within(what, step),
      },
      frontier,
    );
    this.committed = undefined;
    if (schedule.length > 0 || frontier > positions.input)
      logger.info(
        { pending: schedule.length, frontier: frontier.toString(), input: positions.input.toString() },
        'replaying recorded preload positions up to the input frontier',
      );
    await consumer.subscribe([shard.kafkaPreloadTopic, shard.kafkaInputTopic]);
    await consumer.run((messages, control) => this.handleBatch(messages, control), {
      onAssigned: (assignment) => this.onAssigned(assignment),
      onCrash: (err, willRestart) => {
        if (!willRestart) {
          this.fatal(new EngineError('ENGINE_ERR_CONSUMER', err.message, { cause: err }));
          return;
        }
        this.metrics.consumerRestarts++;
        logger.warn({ err }, 'kafka consumer crashed; kafkajs restarts it (positions and pauses re-applied on join)');
      },
    });
  }

  /**
   * Where to start reading a topic: the snapshot's position, but never below what the topic still retains (that
   * gap is lost data: logged and counted) and never past its end (the topic was recreated: refuse to start).
   */
  private async startPosition(topic: string, fromSnapshot: bigint | undefined): Promise<bigint> {
    const low = BigInt((await this.d.consumer.earliestOffsets(topic)).get(0) ?? '0');
    if (fromSnapshot === undefined) return low;
    const high = BigInt((await this.d.consumer.latestOffsets(topic)).get(0) ?? '0');
    if (fromSnapshot > high)
      throw new EngineError(
        'ENGINE_ERR_TOPIC',
        `${topic}: the snapshot resumes at offset ${fromSnapshot} but the topic ends at ${high} (was it recreated?)`,
      );
    if (fromSnapshot < low) {
      this.lost({ topic: topic === this.d.shard.kafkaPreloadTopic ? 'preload' : 'input', from: fromSnapshot, to: low });
      return low;
    }
    return fromSnapshot;
  }

  private lost(v: Vanished): void {
    this.metrics.offsetsLost += Number(v.to - v.from);
    this.d.logger.error(
      { topic: v.topic, from: v.from.toString(), to: v.to.toString() },
      'offsets the shard had not applied are gone from Kafka (retention?): they are skipped, their commands are lost',
    );
  }

  /** Runs on every (re)join before any fetch: kafkajs forgets seeks and pauses across rejoins and restarts. */
  private onAssigned(assignment: Record<string, number[]>): void {
    const { shard, consumer } = this.d;
    this.lastActivityAt = this.d.now();
    const mine =
      assignment[shard.kafkaPreloadTopic]?.includes(0) === true &&
      assignment[shard.kafkaInputTopic]?.includes(0) === true;
    if (!mine) {
      this.fatal(
        new EngineError(
          'ENGINE_ERR_FENCED',
          `the consumer group assigned ${JSON.stringify(assignment)}: another member (a newer lease epoch) reads this shard`,
        ),
      );
      return;
    }
    if (this.failure || this.stopping) return;
    const at = this.seq.positions;
    consumer.seek(shard.kafkaPreloadTopic, 0, at.preload.toString());
    consumer.seek(shard.kafkaInputTopic, 0, at.input.toString());
    this.paused = { preload: undefined, input: undefined };
    this.syncPauses();
  }

  /** Holds each topic exactly when the Sequencer says it must wait (and input whenever the engine is not RUNNING). */
  private syncPauses(): void {
    const want = this.seq.pauses(this.book.engineState === 'RUNNING');
    const { consumer, shard } = this.d;
    for (const [topic, name] of [
      ['preload', shard.kafkaPreloadTopic],
      ['input', shard.kafkaInputTopic],
    ] as const) {
      if (this.paused[topic] === want[topic]) continue;
      if (want[topic]) consumer.pause(name);
      else consumer.resume(name);
      this.paused[topic] = want[topic];
    }
  }

  /** Stops consuming, makes everything applied durable, and takes a final snapshot. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.d.consumer.disconnect(); // waits for the batch in progress, whose own checkpoint runs to the end
    if (this.failure) throw this.failure;
    await this.within('acknowledgements at stop', this.acks.settled());
    await this.within('the flush at stop', this.d.writeBuffer.flush());
    this.countDeadLetteredRows();
    if (this.sinceSnapshot > 0) await this.within('the snapshot at stop', this.takeSnapshot());
  }

  /** Ends the incarnation without making anything more durable (a failure elsewhere, or losing the lease). */
  halt(reason: Error): void {
    this.fatal(reason, false);
  }

  private fatal(err: Error, notify = true): void {
    if (this.failure) return;
    this.failure = err;
    this.abort(err);
    if (!notify) return;
    this.metrics.fatalErrors++;
    this.d.logger.error({ err }, 'shard incarnation failed: restarting from the last snapshot');
    this.d.onFatal?.(err);
  }

  private topicOf(m: ConsumedMessage): Topic {
    return m.topic === this.d.shard.kafkaPreloadTopic ? 'preload' : 'input';
  }

  private async handleBatch(messages: ConsumedMessage[], control: BatchControl): Promise<string | undefined> {
    if (this.failure || this.stopping || messages.length === 0) return undefined;
    const { consumer, journal, fence } = this.d;
    const first = messages[0] as ConsumedMessage;
    const topic = this.topicOf(first);
    let last: string | undefined;
    let beat = this.d.now();
    let sinceRelease = 0;
    try {
      const at = this.seq.positions[topic];
      // Fetched from above our position: kafkajs moved on by itself (the position fell to retention while running).
      if (BigInt(control.fetchedOffset) > at) this.lost({ topic, from: at, to: BigInt(control.fetchedOffset) });
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i] as ConsumedMessage;
        if (this.failure || this.stopping || !control.shouldContinue()) break;
        const offset = BigInt(m.offset);
        const decision = this.seq.decide(topic, offset, this.book.engineState === 'RUNNING', (v) => this.lost(v));
        if (decision.kind === 'skip') {
          last = m.offset;
          continue;
        }
        if (decision.kind === 'defer') {
          consumer.seek(m.topic, m.partition, m.offset);
          this.syncPauses();
          break;
        }
        if (decision.kind === 'record') {
          // This preload message and the rest of its batch go here, before any further input: recorded durably
          // (and fenced) before any of them takes effect, so every replay puts them at the same place.
          await this.release();
          const entries = messages.slice(i).map((x) => ({ preload: BigInt(x.offset), input: decision.input }));
          await this.within(
            'recording preload positions',
            journal.record(
              fence,
              entries.map((e) => ({ preloadOffset: e.preload.toString(), inputPosition: e.input.toString() })),
            ),
          );
          this.seq.recorded(entries);
          this.metrics.journalled += entries.length;
        }
        await this.applyMessage(m, topic, offset);
        last = m.offset;
        // A lifecycle change, or input reaching a recorded preload position, changes which topic may go on.
        this.syncPauses();
        if (++sinceRelease >= this.d.releaseEvery) {
          sinceRelease = 0;
          await this.release();
        }
        const now = this.d.now();
        if (now - beat >= 1_000) {
          beat = now;
          this.lastActivityAt = now;
          // A rebalance under way: stop here; the rejoin re-seeks to the positions applied so far.
          if (
            !(await control.heartbeat().then(
              () => true,
              () => false,
            ))
          )
            break;
        }
      }
      await this.release();
      await checkpoint({
        eventsAcknowledged: () => this.waitFor(this.acks.settled(), control),
        rowsWritten: async () => {
          await this.waitFor(this.d.writeBuffer.flush(), control);
          this.countDeadLetteredRows();
        },
        ...(this.snapshotter.due(this.sinceSnapshot) && {
          snapshot: () => this.waitFor(this.takeSnapshot(), control),
        }),
        commitOffsets: () => this.commitPositions(),
      });
    } catch (err) {
      this.fatal(err instanceof Error ? err : new Error(String(err)));
      return undefined;
    }
    this.metrics.batches++;
    this.metrics.lastBatchSize = messages.length;
    this.lastActivityAt = this.d.now();
    return last;
  }

  private deadLetteredSeen = 0;

  private countDeadLetteredRows(): void {
    const now = this.d.writeBuffer.getMetrics().deadLettered;
    this.metrics.rowsDeadLettered += now - this.deadLetteredSeen;
    this.deadLetteredSeen = now;
  }

  /**
   * Waits for a durability step, keeping the group membership alive; gives up at once if the incarnation ends, and
   * fails it when the step outlasts checkpointTimeoutMs (a hung connection must not hold the shard for good).
   */
  private async waitFor(step: Promise<void>, control: BatchControl): Promise<void> {
    const timer = setInterval(() => {
      control.heartbeat().catch(() => undefined); // a rebalance while waiting: the rejoin re-seeks, nothing to do
    }, 1_000);
    try {
      await this.within('a checkpoint step', step);
    } finally {
      clearInterval(timer);
    }
  }

  /** `step`, raced against the end of the incarnation and checkpointTimeoutMs. */
  private async within<T>(what: string, step: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EngineError('ENGINE_ERR_STALLED', `${what} took over ${this.d.checkpointTimeoutMs} ms`)),
        this.d.checkpointTimeoutMs,
      );
    });
    try {
      return await Promise.race([step, this.aborted, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets the events applied so far out to Kafka (their input frontier recorded first: see outbox.ts). */
  private release(): Promise<void> {
    return this.outbox.release(this.seq.positions.input);
  }

  /** Applies one message in the total order: events published, rows buffered, position and cadences moved. */
  private async applyMessage(m: ConsumedMessage, topic: Topic, offset: bigint): Promise<void> {
    const events = this.apply(m, topic);
    for (const row of this.projection.rows(events, this.lastIssuedAt)) {
      await (row.kind === 'order' ? this.d.writeBuffer.addOrder(row.row) : this.d.writeBuffer.addTrade(row.row));
    }
    this.publish(events);
    if (offset > this.seq.positions[topic]) this.metrics.offsetGaps++; // markers, aborted transactions, compaction
    this.seq.applied(topic, offset);
    this.metrics.commandsApplied++;
    this.sinceSnapshot++;
    if (++this.sinceDepth >= this.d.depthEveryCommands) {
      this.sinceDepth = 0;
      this.publish(this.book.takeDepthEvents(this.d.depthLevels));
    }
  }

  /** Decodes and applies one message; poison goes to a rejection event (if it names an order) or the DLQ. */
  private apply(m: ConsumedMessage, topic: Topic): EngineEvent[] {
    const decoded = decodeCommand(m);
    if (decoded.ok) {
      const command: Command = decoded.value;
      if (topic === 'preload' && !isLifecycleCommand(command)) {
        this.deadLetter(
          m,
          'ENGINE_ERR_WRONG_TOPIC',
          `${command.code} belongs on the input topic, not the preload topic`,
        );
        return [];
      }
      this.lastIssuedAt = command.issuedAt;
      return this.book.apply(command);
    }
    const about = sniffOrder(m.value);
    if (about.orderId !== undefined) return this.book.rejectUndecodable(about, decoded.code, decoded.message);
    this.deadLetter(m, decoded.code, decoded.message);
    return [];
  }

  private publish(events: readonly EngineEvent[]): void {
    const topic = this.d.shard.kafkaOutputTopic;
    for (const e of events) {
      this.outbox.push({ topic, ...encodeEvent(e) });
      this.metrics.eventsPublished++;
    }
  }

  private deadLetter(m: ConsumedMessage, code: string, reason: string): void {
    this.outbox.push(deadLetterRecord(this.d.shard.kafkaDlqTopic, m, code, reason));
    this.metrics.deadLettered++;
    this.d.logger.warn({ code, reason, source: `${m.topic}:${m.partition}:${m.offset}` }, 'dead-lettered a message');
  }

  /** Everything before this point is acknowledged and written; record the state and where replay would resume. */
  private async takeSnapshot(): Promise<void> {
    const stored = await this.snapshotter.take(
      {
        book: this.book.snapshot(),
        orders: this.projection.export(),
        lastIssuedAt: this.lastIssuedAt,
        sinceDepth: this.sinceDepth,
      },
      this.seq.positions,
      this.book.lastSeq,
    );
    if (stored) this.sinceSnapshot = 0;
  }

  /**
   * The group's committed offsets, for lag monitoring only: a failure here loses nothing (replay starts from the
   * snapshot's positions), so it is counted and logged rather than fatal.
   */
  private async commitPositions(): Promise<void> {
    const at = this.seq.positions;
    const { consumer, shard, logger } = this.d;
    try {
      if (this.committed?.preload !== at.preload)
        await consumer.commit(shard.kafkaPreloadTopic, 0, at.preload.toString());
      if (this.committed?.input !== at.input) await consumer.commit(shard.kafkaInputTopic, 0, at.input.toString());
      this.committed = at;
    } catch (err) {
      this.metrics.commitFailures++;
      logger.warn({ err }, 'offset commit failed (monitoring only: replay starts from the snapshot)');
    }
  }
}
