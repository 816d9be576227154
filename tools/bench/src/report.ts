import type { ProfileSummary } from './cpuprofile';
import type { LatencySummary } from './histogram';
import { HEADLINE } from './phases';

export interface ShardFigures {
  shardId: string;
  /** Commands the shard applied during the load window, and per second of it. */
  commandsApplied: number;
  commandsPerSec: number;
  /** Row writes (orders + trades upserts, after the buffer's de-duplication) during the load window. */
  rowsWritten: number;
}

export interface PhaseResult {
  id: string;
  title: string;
  shards: number;
  batchSize: number;
  writeBuffer: 'batched' | 'sync';
  /** Orders/s of a fixed-rate phase; absent: flat out. */
  rate?: number;
  connections: number;
  /** load: first request → last answer; drain: last answer → every shard caught up and every row written. */
  seconds: { warmup: number; load: number; drain: number };
  requests: number;
  /** Orders answered 202 (one per order, batch entries counted one by one). */
  accepted: number;
  /** Records that reached the shards' input topics in the phase (end offsets after − before): the cross-check. */
  acceptedOnKafka: number;
  /** Orders not accepted, by HTTP status (for a batch: each entry's own status). */
  rejectedByStatus: Record<string, number>;
  networkErrors: number;
  /** Fixed rate: requests the schedule wanted that were never sent. */
  unsent: number;
  acceptedPerSec: number;
  /**
   * End to end: the lesser of the orders accepted per second and the commands the shards applied per second in the
   * same window (a shard applies a command only with room in its write buffer, so rows are at most that buffer
   * behind). When the pipeline keeps up both are the same and the drain is short; when it does not, this is the
   * rate it sustains, and the drain and the accept→persisted latency show the backlog.
   */
  ordersPerSec: number;
  commandsPerSec: number;
  perShard: ShardFigures[];
  rowsWritten: number;
  rowsPerSec: number;
  /** Rows in the phase's tables added during the phase (orders, trades: distinct rows). */
  tableRows: { orders: number; trades: number };
  /** TRADE and ORDER_REJECTED events the bench saw on the output topics during the measurement. */
  trades: number;
  engineRejections: number;
  latency: { accept: LatencySummary; acceptToMatched: LatencySummary; acceptToPersisted: LatencySummary };
  /** Events seen before the answer that accepted their order (recorded as 0 ms). */
  eventsBeforeAnswer: number;
  /** Still unobserved when the drain ended: orders with no event, sampled orders with no row. */
  unobserved: { events: number; rows: number };
  drainTimedOut: boolean;
  /** CPU used during the load window, % of one core, per process (and the machine's total, and everything else's). */
  cpuPercent: Record<string, number>;
  /** CPU time per accepted order during the load window, ms, per process of the run: what an order costs each. */
  cpuMsPerOrder: Record<string, number>;
  /**
   * Each shard's CPU time per command it applied, ms: 1000 / this is what the shard would apply on a core of its own
   * at this cost (a shard is one thread; the cost falls as its batches grow).
   */
  shardCpuMsPerCommand: Record<string, number>;
  /** The load window on CLOCK_MONOTONIC (process.hrtime, and V8's profile clock), µs: what the profiles are cut to. */
  monotonicWindowUs: { start: number; end: number };
  /** --cpu-prof: self time per process during the load window (name → summary), and where the .cpuprofile files are. */
  profiles?: Record<string, ProfileSummary>;
  profileDir?: string;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  mysqlServer: string;
  loadAverage: number[];
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  command: string;
  commit: string;
  machine: Machine;
  mode: 'own-processes' | 'running-stack';
  settings: Record<string, unknown>;
  phases: PhaseResult[];
  summary: Record<string, unknown>;
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const n2 = (v: number) => v.toFixed(2);
const ms = (v: number) => (v >= 100 ? n0(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : null;
const round = (v: number | undefined) => (v === undefined ? null : Math.round(v));
const round2 = (v: number | undefined) => (v === undefined ? null : Math.round(v * 100) / 100);

export interface Progress {
  phase: string;
  elapsedS: number;
  /** Orders accepted in the last second. */
  ordersPerSec: number;
  accepted: number;
  errors: number;
  p99AcceptMs: number;
  p99MatchedMs: number;
  p99PersistedMs: number;
}

/** The line printed once a second during a phase. */
export function formatProgress(p: Progress): string {
  return (
    `  [${p.phase}] ${String(Math.round(p.elapsedS)).padStart(3)} s  ${n0(p.ordersPerSec).padStart(6)} orders/s  ` +
    `accepted ${n0(p.accepted)}  errors ${n0(p.errors)}  p99 so far: accept ${ms(p.p99AcceptMs)} ms, ` +
    `matched ${ms(p.p99MatchedMs)} ms, persisted ${ms(p.p99PersistedMs)} ms`
  );
}

/**
 * The last line: one JSON object with the headline phase's figures (two shards, single orders, flat out; the first
 * phase that ran when that one did not) and the same-run comparisons (null when their phase did not run).
 */
export function summaryLine(phases: readonly PhaseResult[], cores: number): Record<string, unknown> {
  const byId = (id: string) => phases.find((p) => p.id === id);
  // The comparisons are against the headline phase itself: without it they are null, never a phase against itself.
  const single = byId(HEADLINE);
  const head = single ?? phases[0];
  if (!head) throw new Error('no phase ran');
  const batch = byId('2-shards-batch');
  const one = byId('1-shard');
  const sync = byId('2-shards-sync');
  const rate = byId('2-shards-rate');
  return {
    ordersPerSec: Math.round(head.ordersPerSec),
    p99AcceptToPersistedMs: head.latency.acceptToPersisted.p99Ms,
    shards: head.shards,
    durationS: Math.round(head.seconds.load * 10) / 10,
    phase: head.id,
    acceptedPerSec: Math.round(head.acceptedPerSec),
    p99AcceptMs: head.latency.accept.p99Ms,
    p99AcceptToMatchedMs: head.latency.acceptToMatched.p99Ms,
    rowsPerSec: Math.round(head.rowsPerSec),
    commandsPerSecPerShard: Object.fromEntries(head.perShard.map((s) => [s.shardId, Math.round(s.commandsPerSec)])),
    cpuMsPerOrder: head.cpuMsPerOrder,
    shardCpuMsPerCommand: head.shardCpuMsPerCommand,
    batchOrdersPerSec: round(batch?.ordersPerSec),
    batchVsSingle: ratio(batch?.ordersPerSec, single?.ordersPerSec),
    oneShardOrdersPerSec: round(one?.ordersPerSec),
    twoShardsVsOne: ratio(single?.ordersPerSec, one?.ordersPerSec),
    syncWriteBufferOrdersPerSec: round(sync?.ordersPerSec),
    syncP99AcceptToPersistedMs: round2(sync?.latency.acceptToPersisted.p99Ms),
    batchedVsSyncWriteBuffer: ratio(single?.ordersPerSec, sync?.ordersPerSec),
    fixedRate: rate?.rate ?? null,
    fixedRateOrdersPerSec: round(rate?.ordersPerSec),
    fixedRateP99AcceptMs: round2(rate?.latency.accept.p99Ms),
    fixedRateP99AcceptToPersistedMs: round2(rate?.latency.acceptToPersisted.p99Ms),
    cores,
  };
}

function latencyCell(l: LatencySummary): string {
  return l.count === 0 ? '–' : `${ms(l.p50Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)}`;
}

/** The human summary: tables of throughput, latency, comparisons and CPU, as markdown. */
export function markdownReport(r: BenchResult): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# shardex end-to-end benchmark, ${r.startedAt}`, '');
  out.push(
    `\`${r.command}\` — commit ${r.commit}, ${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ` +
      `${m.mysqlServer}, ${m.os}; load average at the start ${m.loadAverage.map((v) => v.toFixed(2)).join(' ')}. ` +
      `${r.mode === 'own-processes' ? 'Each phase ran its own gateway and shards on its own database and topics.' : 'Against a running stack.'}`,
    '',
  );
  out.push(
    '| phase | orders/s end to end | accepted/s | commands/s per shard | rows/s | HTTP accept p50 / p99 / max ms | accept→matched p50 / p99 / max ms | accept→persisted p50 / p99 / max ms | not accepted |',
    '| ----- | ------------------: | ---------: | -------------------- | -----: | -----------------------------: | --------------------------------: | ----------------------------------: | -----------: |',
  );
  for (const p of r.phases) {
    const notAccepted = Object.values(p.rejectedByStatus).reduce((a, b) => a + b, 0) + p.networkErrors;
    out.push(
      `| ${p.title} | ${n0(p.ordersPerSec)} | ${n0(p.acceptedPerSec)} | ${p.perShard.map((s) => `${s.shardId} ${n0(s.commandsPerSec)}`).join(', ')} | ${n0(p.rowsPerSec)} | ${latencyCell(p.latency.accept)} | ${latencyCell(p.latency.acceptToMatched)} | ${latencyCell(p.latency.acceptToPersisted)} | ${n0(notAccepted)} |`,
    );
  }
  out.push('');
  out.push(
    '| phase | load s | drain s | accepted | on Kafka | trades | engine rejections | orders rows | trades rows | p90 persisted ms | samples persisted |',
    '| ----- | -----: | ------: | -------: | -------: | -----: | ----------------: | ----------: | ----------: | ---------------: | ----------------: |',
  );
  for (const p of r.phases)
    out.push(
      `| ${p.id} | ${n2(p.seconds.load)} | ${n2(p.seconds.drain)}${p.drainTimedOut ? ' (timed out)' : ''} | ${n0(p.accepted)} | ${n0(p.acceptedOnKafka)} | ${n0(p.trades)} | ${n0(p.engineRejections)} | ${n0(p.tableRows.orders)} | ${n0(p.tableRows.trades)} | ${ms(p.latency.acceptToPersisted.p90Ms)} | ${n0(p.latency.acceptToPersisted.count)} |`,
    );
  const s = r.summary;
  const cmp: string[] = [];
  if (s['batchVsSingle'] !== null) cmp.push(`batch endpoint vs single orders: **${String(s['batchVsSingle'])}×**`);
  if (s['twoShardsVsOne'] !== null) cmp.push(`2 shards vs 1 shard: **${String(s['twoShardsVsOne'])}×**`);
  if (s['batchedVsSyncWriteBuffer'] !== null)
    cmp.push(`WriteBuffer vs per-row SyncWriteBuffer: **${String(s['batchedVsSyncWriteBuffer'])}×**`);
  if (cmp.length) out.push('', `Same-run comparisons (orders/s end to end): ${cmp.join('; ')}.`);
  const procs = [...new Set(r.phases.flatMap((p) => Object.keys(p.cpuPercent)))];
  if (procs.length) {
    out.push(
      '',
      'CPU during the load window, % of one core (machine: every process on every core; everything else: processes not of this run):',
      '',
    );
    out.push(`| phase | ${procs.join(' | ')} |`, `| ----- |${procs.map(() => ' ---: |').join('')}`);
    for (const p of r.phases)
      out.push(
        `| ${p.id} | ${procs.map((name) => (p.cpuPercent[name] === undefined ? '–' : n0(p.cpuPercent[name] as number))).join(' | ')} |`,
      );
  }
  const costs = [...new Set(r.phases.flatMap((p) => Object.keys(p.cpuMsPerOrder)))];
  if (costs.length) {
    out.push(
      '',
      'CPU ms per accepted order (load window); then what one core would sustain at these costs, for the single-threaded ' +
        'apps: the gateway (orders/s) and each shard (commands/s, from its CPU per command it applied):',
      '',
    );
    out.push(
      `| phase | ${costs.join(' | ')} | total | one core: gateway | one core: shards |`,
      `| ----- |${costs.map(() => ' ---: |').join('')} ---: | ---: | ---: |`,
    );
    for (const p of r.phases) {
      const total = Object.values(p.cpuMsPerOrder).reduce((a, b) => a + b, 0);
      const gateway = p.cpuMsPerOrder['gateway'];
      const shards = Object.entries(p.shardCpuMsPerCommand)
        .map(([id, c]) => `${id} ${n0(1000 / c)}`)
        .join(', ');
      out.push(
        `| ${p.id} | ${costs
          .map((name) => (p.cpuMsPerOrder[name] === undefined ? '–' : (p.cpuMsPerOrder[name] as number).toFixed(3)))
          .join(' | ')} | ${total.toFixed(3)} | ${gateway ? n0(1000 / gateway) : '–'} | ${shards || '–'} |`,
      );
    }
  }
  for (const p of r.phases) {
    if (!p.profiles) continue;
    out.push('', `Profiles of ${p.id} (${p.profileDir ?? ''}): self time, % of each process's busy time`, '');
    for (const [name, prof] of Object.entries(p.profiles)) out.push(...profileLines(name, prof, 8), '');
  }
  out.push('', '```', JSON.stringify(r.summary), '```', '');
  return out.join('\n');
}

/** A few lines per profiled process: busy/GC time, then the top packages and functions by self time. */
export function profileLines(name: string, p: ProfileSummary, top = 8): string[] {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  return [
    `- **${name}**: busy ${n0(p.busyMs)} ms of ${n0(p.totalMs)} ms, GC ${p.busyMs > 0 ? pct(p.gcMs / p.busyMs) : '–'}`,
    `  - by package: ${p.packages
      .slice(0, top)
      .map((e) => `${e.name} ${pct(e.share)}`)
      .join(', ')}`,
    `  - by function: ${p.functions
      .slice(0, top)
      .map((e) => `\`${e.name}\` ${pct(e.share)}`)
      .join(', ')}`,
  ];
}
