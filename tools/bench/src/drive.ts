import type { InstrumentSpec } from '@shardex/contracts';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { LatencyHistogram } from './histogram';
import { endOffsets } from './kafka-admin';
import { type LoadRequest, runLoad } from './load';
import { createOrderFlow } from './order-flow';
import { followOutputTopics, OutcomeTracker, pollPersistedRows } from './outcomes';
import type { PhaseSpec } from './phases';
import { cpuTimeMs, machineCpuMs } from './processes';
import { metricValue, type Sample, scrape } from './prometheus';
import { formatProgress, type PhaseResult } from './report';

/** What a phase drives: a gateway, its shards' metrics, their topics and database, and the processes to watch. */
export interface DriveTarget {
  gatewayUrl: string;
  /** One per user. */
  apiKeys: readonly string[];
  instruments: readonly InstrumentSpec[];
  kafka: Kafka;
  inputTopics: readonly string[];
  outputTopics: readonly string[];
  shards: ReadonlyArray<{ shardId: string; metricsUrl: string }>;
  /** The database the shards write to. */
  mysql: Pool;
  /** CPU accounting during the load: name → pid. */
  processes: Readonly<Record<string, number>>;
  /** The bench's own consumer group for the output topics. */
  consumerGroup: string;
  /** Read the output topics from their start (fresh topics) or from their end (a running stack's). */
  fromBeginning: boolean;
}

export interface DriveSettings {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  sampleEvery: number;
  pollMs: number;
  seed: number;
  drainTimeoutSeconds: number;
  /** Prefix of the clientOrderIds: unique per run and phase. */
  clientOrderIdPrefix: string;
}

const COMMANDS = 'shardex_engine_commands_total';
const ROWS = 'shardex_write_buffer_rows_written';
const LAG = 'shardex_engine_consumer_lag';
const BUFFERED = 'shardex_write_buffer_buffered_rows';

interface Snapshot {
  at: number;
  shards: Sample[][];
  cpu: Record<string, number | undefined>;
  machine: { busy: number; total: number } | undefined;
}

/** Counts of one measurement window, reset when the measurement starts. */
class Counters {
  accepted = 0;
  notAccepted: Record<string, number> = {};
  errors = 0;
  reject(status: number, orders: number): void {
    this.notAccepted[status] = (this.notAccepted[status] ?? 0) + orders;
    this.errors += orders;
  }
}

const ORDER_ID = /"orderId":"([^"]+)"/;

/**
 * One measured phase against `t`: an unmeasured warm-up (then the shards catch up), the load for `seconds` with a
 * progress line a second, then the drain (until every shard applied its input, every row is written and every
 * order was seen end to end, or the drain timeout). Every time comes from this process's performance.now().
 */
export async function drivePhase(
  t: DriveTarget,
  phase: PhaseSpec,
  s: DriveSettings,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<Omit<PhaseResult, 'profiles' | 'profileDir'>> {
  const tracker = new OutcomeTracker(s.sampleEvery);
  const events = await followOutputTopics(t.kafka, t.outputTopics, t.consumerGroup, tracker, {
    fromBeginning: t.fromBeginning,
  });
  const rows = pollPersistedRows(t.mysql, tracker, { intervalMs: s.pollMs });
  try {
    const flow = createOrderFlow({
      instruments: t.instruments,
      users: t.apiKeys.length,
      seed: s.seed,
      clientOrderIdPrefix: s.clientOrderIdPrefix,
    });
    const next = (): LoadRequest => {
      const first = flow.next();
      const apiKey = t.apiKeys[first.user] as string;
      if (phase.batchSize === 1) return { path: '/v1/orders', apiKey, body: JSON.stringify(first.body), orders: 1 };
      // A batch is one user's: the rest of it comes from the same user.
      const orders = [first.body];
      while (orders.length < phase.batchSize) orders.push(flow.nextFor(first.user).body);
      return { path: '/v1/orders/batch', apiKey, body: JSON.stringify({ orders }), orders: orders.length };
    };
    let counters = new Counters();
    const onAnswer = (status: number, body: string, req: LoadRequest, at: number) => {
      if (req.orders === 1) {
        const id = status === 202 ? ORDER_ID.exec(body)?.[1] : undefined;
        if (id) {
          counters.accepted++;
          tracker.accept(id, at);
        } else counters.reject(status, 1);
        return;
      }
      if (status !== 200) return counters.reject(status, req.orders);
      const { results } = JSON.parse(body) as { results: Array<{ statusCode: number; orderId?: string }> };
      for (const r of results) {
        if (r.statusCode === 202 && r.orderId) {
          counters.accepted++;
          tracker.accept(r.orderId, at);
        } else counters.reject(r.statusCode, 1);
      }
    };
    const requestRate = phase.rate === undefined ? undefined : phase.rate / phase.batchSize;

    if (s.warmupSeconds > 0) {
      log(`  warm-up: ${s.warmupSeconds} s (not measured)`);
      await runLoad({
        url: t.gatewayUrl,
        connections: s.connections,
        durationMs: s.warmupSeconds * 1000,
        ...(requestRate !== undefined && { rate: requestRate }),
        next,
        onAnswer,
        latency: new LatencyHistogram(),
        signal,
      });
      const caughtUp = await drain(t, tracker, s.drainTimeoutSeconds, signal);
      if (!caughtUp.done) log('  the shards did not catch up after the warm-up within the drain timeout');
    }

    const before = await snapshot(t);
    const offsetsBefore = await endOffsets(t.kafka, t.inputTopics);
    const tablesBefore = await tableCounts(t.mysql);
    const tradesBefore = tracker.trades;
    const rejectedBefore = tracker.rejected;
    counters = new Counters();
    tracker.startRecording();
    const accept = new LatencyHistogram();
    let lastAccepted = 0;
    const startedAt = performance.now();
    const monotonicStart = Number(process.hrtime.bigint() / 1000n);
    const progress = setInterval(() => {
      log(
        formatProgress({
          phase: phase.id,
          elapsedS: (performance.now() - startedAt) / 1000,
          ordersPerSec: counters.accepted - lastAccepted,
          accepted: counters.accepted,
          errors: counters.errors,
          p99AcceptMs: accept.percentileMs(99),
          p99MatchedMs: tracker.matched.percentileMs(99),
          p99PersistedMs: tracker.persisted.percentileMs(99),
        }),
      );
      lastAccepted = counters.accepted;
      tracker.prune(performance.now());
    }, 1000);
    let load: Awaited<ReturnType<typeof runLoad>>;
    try {
      load = await runLoad({
        url: t.gatewayUrl,
        connections: s.connections,
        durationMs: s.seconds * 1000,
        ...(requestRate !== undefined && { rate: requestRate }),
        next,
        onAnswer,
        latency: accept,
        signal,
      });
    } finally {
      clearInterval(progress);
    }
    const monotonicEnd = Number(process.hrtime.bigint() / 1000n);
    const atLoadEnd = await snapshot(t);
    const drained = await drain(t, tracker, s.drainTimeoutSeconds, signal);
    const offsetsAfter = await endOffsets(t.kafka, t.inputTopics);
    const tablesAfter = await tableCounts(t.mysql);

    const loadS = (load.endedAt - load.startedAt) / 1000;
    const drainS = Math.max(0, (drained.at - load.endedAt) / 1000);
    const perShard = t.shards.map((shard, i) => {
      const commandsApplied = delta(before, atLoadEnd, i, COMMANDS);
      return {
        shardId: shard.shardId,
        commandsApplied,
        commandsPerSec: commandsApplied / loadS,
        rowsWritten: delta(before, atLoadEnd, i, ROWS),
      };
    });
    const rowsWritten = perShard.reduce((sum, x) => sum + x.rowsWritten, 0);
    const commandsPerSec = perShard.reduce((sum, x) => sum + x.commandsPerSec, 0);
    const loadMs = atLoadEnd.at - before.at;
    const cpuPercent: Record<string, number> = {};
    for (const [name, end] of Object.entries(atLoadEnd.cpu)) {
      const start = before.cpu[name];
      if (end !== undefined && start !== undefined) cpuPercent[name] = Math.round(((end - start) / loadMs) * 100);
    }
    // The whole machine, in the same unit (% of one core): what the processes above did not use went to others.
    if (before.machine && atLoadEnd.machine) {
      const busy = atLoadEnd.machine.busy - before.machine.busy;
      const total = atLoadEnd.machine.total - before.machine.total;
      cpuPercent['machine'] = Math.round((busy / loadMs) * 100);
      cpuPercent['machine idle'] = Math.round(((total - busy) / loadMs) * 100);
      const ours = Object.entries(cpuPercent)
        .filter(([k]) => k !== 'machine' && k !== 'machine idle')
        .reduce((sum, [, v]) => sum + v, 0);
      cpuPercent['everything else'] = Math.max(0, cpuPercent['machine'] - ours);
    }
    const used = (name: string) => {
      const end = atLoadEnd.cpu[name];
      const start = before.cpu[name];
      return end !== undefined && start !== undefined ? end - start : undefined;
    };
    const per = (ms: number, n: number) => Math.round((ms / n) * 1000) / 1000;
    const cpuMsPerOrder: Record<string, number> = {};
    for (const name of Object.keys(atLoadEnd.cpu)) {
      const ms = used(name);
      if (ms !== undefined && counters.accepted > 0) cpuMsPerOrder[name] = per(ms, counters.accepted);
    }
    const shardCpuMsPerCommand: Record<string, number> = {};
    for (const shard of perShard) {
      const ms = used(shard.shardId);
      if (ms !== undefined && shard.commandsApplied > 0)
        shardCpuMsPerCommand[shard.shardId] = per(ms, shard.commandsApplied);
    }
    return {
      id: phase.id,
      title: phase.title,
      shards: t.shards.length,
      batchSize: phase.batchSize,
      writeBuffer: phase.writeBuffer,
      ...(phase.rate !== undefined && { rate: phase.rate }),
      connections: s.connections,
      seconds: { warmup: s.warmupSeconds, load: loadS, drain: drainS },
      requests: load.requests,
      accepted: counters.accepted,
      acceptedOnKafka: offsetsAfter - offsetsBefore,
      rejectedByStatus: counters.notAccepted,
      networkErrors: load.networkErrors,
      unsent: load.unsent,
      acceptedPerSec: counters.accepted / loadS,
      ordersPerSec: Math.min(counters.accepted / loadS, commandsPerSec),
      commandsPerSec,
      perShard,
      rowsWritten,
      rowsPerSec: rowsWritten / loadS,
      tableRows: { orders: tablesAfter.orders - tablesBefore.orders, trades: tablesAfter.trades - tablesBefore.trades },
      trades: tracker.trades - tradesBefore,
      engineRejections: tracker.rejected - rejectedBefore,
      latency: {
        accept: accept.summary(),
        acceptToMatched: tracker.matched.summary(),
        acceptToPersisted: tracker.persisted.summary(),
      },
      eventsBeforeAnswer: tracker.matched.negative,
      unobserved: tracker.outstanding,
      drainTimedOut: !drained.done,
      cpuPercent,
      cpuMsPerOrder,
      shardCpuMsPerCommand,
      monotonicWindowUs: { start: monotonicStart, end: monotonicEnd },
    };
  } finally {
    await rows.stop().catch((err: unknown) => log(`  row poller: ${String(err)}`));
    await events.stop().catch(() => undefined);
  }
}

function delta(a: Snapshot, b: Snapshot, shard: number, metric: string): number {
  const v = (x: Snapshot) => metricValue(x.shards[shard] ?? [], metric);
  const d = v(b) - v(a);
  return Number.isFinite(d) ? d : 0;
}

async function snapshot(t: DriveTarget): Promise<Snapshot> {
  const cpu: Record<string, number | undefined> = { bench: cpuOfThisProcess() };
  for (const [name, pid] of Object.entries(t.processes)) cpu[name] = cpuTimeMs(pid);
  const shards = await Promise.all(t.shards.map((s) => scrape(s.metricsUrl)));
  return { at: performance.now(), shards, cpu, machine: machineCpuMs() };
}

function cpuOfThisProcess(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function tableCounts(pool: Pool): Promise<{ orders: number; trades: number }> {
  const [rows] = await pool.query(
    'SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM trades) AS trades',
  );
  const r = (rows as Array<{ orders: number | string; trades: number | string }>)[0];
  return { orders: Number(r?.orders ?? 0), trades: Number(r?.trades ?? 0) };
}

/**
 * Waits until every shard has applied all of its input (lag 0), has no row left to write, and every accepted order
 * has been seen on the output topic and every sampled one in MySQL; `at` is when that was first true.
 */
async function drain(
  t: DriveTarget,
  tracker: OutcomeTracker,
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<{ done: boolean; at: number }> {
  const deadline = performance.now() + timeoutSeconds * 1000;
  for (;;) {
    const at = performance.now();
    const shards = await Promise.all(t.shards.map((s) => scrape(s.metricsUrl)));
    const idle = shards.every((m) => metricValue(m, LAG) === 0 && (metricValue(m, BUFFERED) || 0) === 0);
    const { events, rows } = tracker.outstanding;
    if (idle && events === 0 && rows === 0) return { done: true, at };
    if (at > deadline || signal.aborted) return { done: false, at };
    await new Promise((r) => setTimeout(r, 50));
  }
}
