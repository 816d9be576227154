import type { Logger } from '@shardex/contracts';
import {
  createLeaseStore,
  createPreloadJournal,
  createSnapshotStore,
  isFenced,
  type Knex,
  type LeaseStore,
} from '@shardex/db';
import {
  createKafkaConsumer,
  createKafkaProducer,
  type KafkaClientOptions,
  type KafkaConsumer,
  type KafkaProducer,
} from '@shardex/kafka';
import {
  createSyncWriteBuffer,
  createWriteBuffer,
  type WriteBuffer,
  type WriteBufferMetrics,
} from '@shardex/write-buffer';
import type { EngineConfig } from './config';
import { EngineError } from './errors';
import { createEngineMetrics, type EngineMetrics } from './metrics';
import { ShardEngine } from './shard-engine';

/**
 * standby: waiting for the shard's lease (another process holds it, or the database is unreachable);
 * active: holding the lease, an engine incarnation consuming; recovering: between a failed incarnation and the
 * next (backing off); stopping/stopped: shutting down.
 */
export type NodeRole = 'standby' | 'active' | 'recovering' | 'stopping' | 'stopped';

export interface ShardNodeDeps {
  config: EngineConfig;
  db: Knex;
  logger: Logger;
  kafka: KafkaClientOptions;
  metrics?: EngineMetrics;
}

/** How an incarnation ended: null when asked to stop, else why it failed. */
type Ending = Error | null;

const sleep = (ms: number, wake: Promise<void>) =>
  Promise.race([new Promise<void>((r) => setTimeout(r, ms).unref()), wake]);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function bounded<T>(what: string, p: Promise<T>, ms: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => {
    timer = setTimeout(() => {
      log.warn({ what, ms }, 'gave up waiting during teardown');
      r();
    }, ms);
  });
  try {
    await Promise.race([p.then(() => undefined), timeout]);
  } catch (err) {
    log.warn({ err, what }, 'teardown step failed');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One shard process: takes the shard's lease (or waits for it as a hot standby), runs an engine incarnation under
 * the lease's epoch, and when that incarnation fails — a send or flush that did not make it, the lease or the
 * consumer group lost, the consume loop dead — tears it down and starts a new one from the last snapshot, with a
 * fresh lease epoch that fences anything the old one still had in flight. A process whose lease another took over
 * goes back to standby. The same path serves a cold start, a recovery and a takeover.
 */
export class ShardNode {
  role: NodeRole = 'standby';
  epoch: number | null = null;
  engine: ShardEngine | null = null;
  readonly metrics: EngineMetrics;
  private writeBuffer: WriteBuffer | null = null;
  private readonly leases: LeaseStore;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wakeUp!: () => void;
  private woken: Promise<void>;
  private endIncarnation: ((e: Ending) => void) | null = null;
  private lastActivityAt = Date.now();
  private activeWaiters: Array<() => void> = [];
  private loopError: Error | null = null;

  constructor(private readonly d: ShardNodeDeps) {
    this.metrics = d.metrics ?? createEngineMetrics();
    this.leases = createLeaseStore(d.db);
    this.woken = new Promise((r) => (this.wakeUp = r));
  }

  start(): void {
    this.loop ??= this.run().catch((err: unknown) => {
      this.loopError = err instanceof Error ? err : new Error(String(err));
      this.role = 'stopped';
      this.d.logger.error({ err }, 'shard node loop ended unexpectedly');
    });
  }

  /** Resolves when an incarnation is consuming (role active); rejects after `timeoutMs`. */
  whenActive(timeoutMs = 60_000): Promise<ShardEngine> {
    if (this.role === 'active' && this.engine) return Promise.resolve(this.engine);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`shard not active after ${timeoutMs} ms (role ${this.role})`)),
        timeoutMs,
      );
      this.activeWaiters.push(() => {
        clearTimeout(timer);
        if (this.engine) resolve(this.engine);
      });
    });
  }

  /** Graceful: the active incarnation finishes its batch, makes it durable, snapshots, and releases the lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.role = 'stopping';
    this.wakeUp();
    this.endIncarnation?.(null);
    await this.loop;
    this.role = 'stopped';
  }

  /** For /health: is the process doing what its role says (and showing it recently)? */
  liveness(): { ok: boolean; reason?: string } {
    const { livenessTimeoutMs } = this.d.config;
    if (this.loopError) return { ok: false, reason: this.loopError.message };
    if (this.role === 'active' && this.engine) return this.engine.alive(livenessTimeoutMs);
    if (this.role === 'stopped' || this.role === 'stopping') return { ok: true };
    const idle = Date.now() - this.lastActivityAt;
    return idle > livenessTimeoutMs ? { ok: false, reason: `${this.role} loop idle for ${idle} ms` } : { ok: true };
  }

  writeBufferMetrics(): WriteBufferMetrics | undefined {
    return this.writeBuffer?.getMetrics();
  }

  private async run(): Promise<void> {
    const { logger } = this.d;
    let failures = 0;
    while (!this.stopping) {
      this.lastActivityAt = Date.now();
      const epoch = await this.acquire();
      if (epoch === undefined) break;
      this.epoch = epoch;
      if (this.stopping) {
        // Granted just as the stop came: hand it back at once.
        await bounded(
          'lease release',
          this.leases.release(this.d.config.shardId, this.d.config.nodeId, epoch),
          5_000,
          logger,
        );
        break;
      }
      const startedAt = Date.now();
      const ending = await this.incarnation(epoch);
      this.engine = null;
      this.writeBuffer = null;
      this.epoch = null;
      if (ending === null || this.stopping) break;
      if (isFenced(ending) || (ending instanceof EngineError && ending.code === 'ENGINE_ERR_FENCED')) {
        logger.warn({ err: ending }, 'another process owns the shard now: back to standby');
        this.role = 'standby';
        failures = 0;
        continue;
      }
      // An incarnation that ran a good while before failing starts the backoff afresh.
      failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
      this.metrics.recoveries++;
      this.role = 'recovering';
      const delay = Math.min(this.d.config.recoveryBackoffMaxMs, 250 * 2 ** Math.min(failures, 12));
      logger.warn({ err: ending, failures, retryInMs: delay }, 'restarting from the last snapshot');
      this.lastActivityAt = Date.now();
      await sleep(delay, this.woken);
    }
  }

  /** Waits for the lease; undefined when stopping first. */
  private async acquire(): Promise<number | undefined> {
    const { config, logger } = this.d;
    let told = '';
    while (!this.stopping) {
      this.lastActivityAt = Date.now();
      try {
        const got = await this.leases.tryAcquire(config.shardId, config.nodeId, config.leaseTtlMs);
        if (got.acquired) {
          logger.info({ epoch: got.epoch, node: config.nodeId }, 'holding the shard lease');
          return got.epoch;
        }
        if (told !== got.owner) {
          told = got.owner;
          logger.info(
            { holder: got.owner, epoch: got.epoch, expiresInMs: Math.round(got.expiresInMs) },
            'standby: another process holds the shard',
          );
        }
      } catch (err) {
        logger.warn({ err }, 'could not reach the lease (database down?); retrying');
      }
      await sleep(config.standbyPollMs, this.woken);
    }
    return undefined;
  }

  /** Runs one engine incarnation under `epoch` until it fails or the node stops; always tears it down. */
  private async incarnation(epoch: number): Promise<Ending> {
    const { config, db, logger, kafka } = this.d;
    let resolveEnding!: (e: Ending) => void;
    const ended = new Promise<Ending>((r) => (resolveEnding = r));
    let over = false;
    const end = (e: Ending) => {
      if (over) return;
      over = true;
      if (e !== null && this.role === 'active') {
        // From here on liveness is the recovery loop's, not the failed engine's.
        this.role = 'recovering';
        this.lastActivityAt = Date.now();
      }
      resolveEnding(e);
    };
    this.endIncarnation = end;
    if (this.stopping) end(null); // asked to stop while the lease was being taken
    // Renewed until the very end, release included: a graceful stop that takes a while must not lose the lease.
    const renewals = this.renew(epoch, end);
    let writeBuffer: WriteBuffer | undefined;
    let producer: KafkaProducer | undefined;
    let consumer: KafkaConsumer | undefined;
    let engine: ShardEngine | undefined;
    let ending: Ending;
    try {
      const fence = this.leases.fence(config.shardId, epoch);
      // Both write under the incarnation's fence; `sync` (the benchmarks' per-row baseline) one row per transaction.
      writeBuffer =
        config.writeBuffer === 'sync'
          ? createSyncWriteBuffer({ db, fence, logger })
          : createWriteBuffer({
              db,
              fence,
              maxBatchSize: config.writeBatchSize,
              maxBufferedRows: Math.max(10_000, 2 * config.writeBatchSize),
              flushIntervalMs: config.writeFlushMs,
              logger,
            });
      this.writeBuffer = writeBuffer;
      // failFast: once a send failed, no later event may overtake it; the next incarnation replays them all.
      producer = createKafkaProducer({
        ...kafka,
        clientId: `${kafka.clientId ?? 'shardex-engine'}-producer`,
        failFast: true,
      });
      consumer = createKafkaConsumer({
        ...kafka,
        groupId: config.consumerGroup,
        exclusivePriority: epoch,
        sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        maxBytesPerPartition: config.kafkaMaxBatchBytes,
      });
      engine = new ShardEngine({
        shard: config.shard,
        consumer,
        producer,
        writeBuffer,
        snapshots: createSnapshotStore(db),
        journal: createPreloadJournal(db),
        fence,
        logger,
        metrics: this.metrics,
        snapshotEveryCommands: config.snapshotEveryCommands,
        snapshotEveryMs: config.snapshotEveryMs,
        snapshotPartItems: config.snapshotPartItems,
        depthEveryCommands: config.depthEveryCommands,
        depthLevels: config.depthLevels,
        checkpointTimeoutMs: config.checkpointTimeoutMs,
        onFatal: (err) => end(err),
      });
      this.engine = engine;
      await producer.connect();
      await consumer.connect();
      if (!over) await engine.start();
      if (!over) {
        this.role = 'active';
        const at = engine.positions;
        logger.info(
          { epoch, state: engine.state, preload: at?.preload.toString(), input: at?.input.toString() },
          'shard active: consuming',
        );
        for (const w of this.activeWaiters.splice(0)) w();
      }
      ending = await ended;
    } catch (err) {
      ending = err instanceof Error ? err : new Error(String(err));
      end(ending);
    }
    this.endIncarnation = null;
    try {
      if (ending === null && engine && writeBuffer) {
        // Graceful: finish the batch, make everything durable, snapshot; then hand the shard over at once.
        try {
          await engine.stop();
          await writeBuffer.close({ timeoutMs: 30_000 });
        } catch (err) {
          logger.error({ err }, 'graceful stop could not make everything durable; the next start replays it');
          ending = err instanceof Error ? err : new Error(String(err));
          writeBuffer.abandon(ending);
        }
      } else {
        const why = ending ?? new EngineError('ENGINE_ERR_STOPPING', 'stopping before the shard started');
        engine?.halt(why);
        writeBuffer?.abandon(why);
      }
      if (consumer) await bounded('consumer disconnect', consumer.disconnect(), 15_000, logger);
      if (producer) await bounded('producer disconnect', producer.disconnect(), 15_000, logger);
      if (this.stopping)
        await bounded('lease release', this.leases.release(config.shardId, config.nodeId, epoch), 5_000, logger);
    } finally {
      clearInterval(renewals);
    }
    return this.stopping ? null : ending;
  }

  /**
   * Renews the lease every quarter of its time to live. Refused: another process took it over — end at once. Not
   * renewed for most of the TTL (the database unreachable, or a renewal hanging on a dead connection): stop
   * writing before anyone else may take over. Checked on every tick, whether a renewal is under way or not.
   */
  private renew(epoch: number, end: (e: Ending) => void): NodeJS.Timeout {
    const { config, logger } = this.d;
    const ttl = config.leaseTtlMs;
    let lastOk = performance.now();
    let busy = false;
    const timer = setInterval(
      () => {
        const since = performance.now() - lastOk;
        if (since > ttl * 0.8) {
          end(new EngineError('ENGINE_ERR_LEASE_EXPIRED', `lease not renewed for ${Math.round(since)} ms`));
          return;
        }
        if (busy) return;
        busy = true;
        const attempt = performance.now();
        withTimeout(this.leases.renew(config.shardId, config.nodeId, epoch, ttl), ttl / 2, 'lease renewal')
          .then(
            (held) => {
              if (held) lastOk = attempt;
              else
                end(new EngineError('ENGINE_ERR_FENCED', `lease epoch ${epoch} of ${config.shardId} was taken over`));
            },
            (err: unknown) => logger.warn({ err }, 'lease renewal failed; retrying'),
          )
          .finally(() => (busy = false));
      },
      Math.max(50, Math.floor(ttl / 4)),
    );
    timer.unref();
    return timer;
  }
}
