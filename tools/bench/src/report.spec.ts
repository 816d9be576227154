import type { LatencySummary } from './histogram';
import { formatProgress, markdownReport, type PhaseResult, summaryLine } from './report';

const lat = (p99Ms: number): LatencySummary => ({
  count: 100,
  p50Ms: p99Ms / 4,
  p90Ms: p99Ms / 2,
  p99Ms,
  maxMs: p99Ms * 2,
  meanMs: 1,
});

function phase(id: string, ordersPerSec: number, over: Partial<PhaseResult> = {}): PhaseResult {
  return {
    id,
    title: id,
    shards: 2,
    batchSize: 1,
    writeBuffer: 'batched',
    connections: 64,
    seconds: { warmup: 3, load: 20.04, drain: 0.5 },
    requests: 1_000,
    accepted: 1_000,
    acceptedOnKafka: 1_000,
    rejectedByStatus: {},
    networkErrors: 0,
    unsent: 0,
    acceptedPerSec: ordersPerSec * 1.02,
    ordersPerSec,
    commandsPerSec: ordersPerSec,
    perShard: [
      { shardId: 'shard-1', commandsApplied: 10, commandsPerSec: ordersPerSec / 2, rowsWritten: 20 },
      { shardId: 'shard-2', commandsApplied: 10, commandsPerSec: ordersPerSec / 2, rowsWritten: 20 },
    ],
    rowsWritten: 40,
    rowsPerSec: ordersPerSec * 2,
    tableRows: { orders: 1_000, trades: 800 },
    trades: 800,
    engineRejections: 0,
    latency: { accept: lat(40), acceptToMatched: lat(120), acceptToPersisted: lat(300) },
    eventsBeforeAnswer: 0,
    unobserved: { events: 0, rows: 0 },
    drainTimedOut: false,
    cpuPercent: { gateway: 90, 'shard-1': 40 },
    cpuMsPerOrder: { gateway: 0.25, 'shard-1': 0.125, kafka: 0.1 },
    shardCpuMsPerCommand: { 'shard-1': 0.2, 'shard-2': 0.25 },
    monotonicWindowUs: { start: 0, end: 20_040_000 },
    ...over,
  };
}

const PHASES = [
  phase('2-shards', 5_000),
  phase('2-shards-batch', 12_000, { batchSize: 20 }),
  phase('1-shard', 3_000, { shards: 1 }),
  phase('2-shards-sync', 1_000, {
    writeBuffer: 'sync',
    latency: { accept: lat(50), acceptToMatched: lat(900), acceptToPersisted: lat(2_500.123) },
  }),
];

describe('summary line', () => {
  it('holds the issue’s keys for the headline phase and the same-run comparisons', () => {
    const s = summaryLine(PHASES, 2);
    expect(s).toMatchObject({
      ordersPerSec: 5_000,
      p99AcceptToPersistedMs: 300,
      shards: 2,
      durationS: 20,
      batchVsSingle: 2.4,
      twoShardsVsOne: 1.67,
      batchedVsSyncWriteBuffer: 5,
      syncP99AcceptToPersistedMs: 2_500.12,
      fixedRate: null,
      cores: 2,
    });
    // One line of JSON: what scripts read.
    expect(JSON.stringify(s)).not.toContain('\n');
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('falls back to the first phase that ran and leaves missing comparisons null', () => {
    const s = summaryLine([phase('2-shards-batch', 9_000, { batchSize: 20 })], 2);
    expect(s).toMatchObject({
      phase: '2-shards-batch',
      ordersPerSec: 9_000,
      batchVsSingle: null,
      twoShardsVsOne: null,
    });
    expect(() => summaryLine([], 2)).toThrow();
  });
});

describe('progress line', () => {
  it('shows elapsed time, rate, counts and the p99s so far', () => {
    expect(
      formatProgress({
        phase: '2-shards',
        elapsedS: 7.02,
        ordersPerSec: 4_512,
        accepted: 31_200,
        errors: 0,
        p99AcceptMs: 31.24,
        p99MatchedMs: 140.2,
        p99PersistedMs: 3.5,
      }),
    ).toBe(
      '  [2-shards]   7 s   4,512 orders/s  accepted 31,200  errors 0  p99 so far: accept 31.2 ms, matched 140 ms, persisted 3.50 ms',
    );
  });
});

describe('markdown report', () => {
  const md = markdownReport({
    startedAt: '2026-11-24T00:00:00.000Z',
    finishedAt: '2026-11-24T00:02:00.000Z',
    command: 'npm run bench',
    commit: 'abc1234',
    machine: {
      cpuModel: 'AMD EPYC',
      cores: 2,
      memoryGiB: 24,
      node: 'v24.21.0',
      os: 'Linux',
      mysqlServer: '10.11',
      loadAverage: [1, 1, 1],
    },
    mode: 'own-processes',
    settings: {},
    phases: PHASES,
    summary: summaryLine(PHASES, 2),
  });

  it('has a row per phase with its throughput and latency percentiles, the ratios and the JSON', () => {
    expect(md).toContain(
      '| 2-shards | 5,000 | 5,100 | shard-1 2,500, shard-2 2,500 | 10,000 | 10.0 / 40.0 / 80.0 | 30.0 / 120 / 240 | 75.0 / 300 / 600 | 0 |',
    );
    expect(md).toContain('2 shards vs 1 shard: **1.67×**');
    expect(md).toContain('WriteBuffer vs per-row SyncWriteBuffer: **5×**');
    expect(md).toContain('| 2-shards | 90 | 40 |');
    expect(md).toContain('| 2-shards | 0.250 | 0.125 | 0.100 | 0.475 | 4,000 | shard-1 5,000, shard-2 4,000 |');
    expect(md).toContain(JSON.stringify(summaryLine(PHASES, 2)));
  });
});
