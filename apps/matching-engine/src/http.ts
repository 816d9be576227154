import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { WriteBufferMetrics } from '@shardex/write-buffer';
import type { EngineMetrics } from './metrics';
import type { NodeRole, ShardNode } from './shard-node';

const STATES = ['NEW', 'INITIALIZED', 'RUNNING', 'STOPPED'] as const;
const ROLES: readonly NodeRole[] = ['standby', 'active', 'recovering', 'stopping', 'stopped'];

/** Prometheus metrics of the shard process, read from the node, its engine and its write buffer at scrape time. */
export function createMetrics(node: ShardNode, shardId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ shard: shardId });
  const m = node.metrics;
  const counter = (name: string, help: string, key: keyof EngineMetrics) => {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = Number(m[key] ?? 0);
        if (now > last) this.inc(now - last);
        last = now;
      },
    });
  };
  counter('shardex_engine_commands_total', 'Commands applied to the order book.', 'commandsApplied');
  counter('shardex_engine_events_total', 'Events published to the output topic.', 'eventsPublished');
  counter('shardex_engine_dead_letters_total', 'Messages sent to the dead-letter topic.', 'deadLettered');
  counter('shardex_engine_batches_total', 'Kafka batches processed.', 'batches');
  counter('shardex_engine_snapshots_total', 'Snapshots stored.', 'snapshots');
  counter(
    'shardex_engine_snapshot_failures_total',
    'Snapshots that failed (retried after an interval).',
    'snapshotFailures',
  );
  counter(
    'shardex_engine_preload_journalled_total',
    'Preload messages whose place among the input was recorded.',
    'journalled',
  );
  counter(
    'shardex_engine_offset_gaps_total',
    'Jumps in input offsets (transaction markers, aborted transactions).',
    'offsetGaps',
  );
  counter(
    'shardex_engine_offsets_lost_total',
    'Offsets gone from Kafka (retention) before the shard applied them: their commands were never executed.',
    'offsetsLost',
  );
  counter(
    'shardex_engine_rows_dead_lettered_total',
    'Rows the database refused, kept in write_dead_letters.',
    'rowsDeadLettered',
  );
  counter(
    'shardex_engine_commit_failures_total',
    'Consumer offset commits that failed (monitoring only).',
    'commitFailures',
  );
  counter(
    'shardex_engine_fatal_errors_total',
    'Incarnations that failed (a send, flush, lease or consumer).',
    'fatalErrors',
  );
  counter('shardex_engine_recoveries_total', 'Restarts from the last snapshot after a failure.', 'recoveries');
  const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    });
  gauge('shardex_engine_last_batch_size', 'Messages in the last Kafka batch.', () => m.lastBatchSize);
  gauge('shardex_engine_consumer_lag', 'Input messages not yet applied (-1: unknown).', () =>
    node.engine ? node.engine.inputLag().catch(() => -1) : -1,
  );
  gauge('shardex_engine_last_seq', 'Sequence number of the last event.', () => node.engine?.lastSeq ?? 0);
  gauge('shardex_engine_lease_epoch', 'Epoch of the shard lease this process holds (0: none).', () => node.epoch ?? 0);
  gauge('shardex_engine_snapshot_age_seconds', 'Seconds since the last snapshot (-1: none yet).', () =>
    m.lastSnapshotAt === null ? -1 : (Date.now() - m.lastSnapshotAt) / 1000,
  );
  gauge('shardex_engine_running', 'Lifecycle state: 1 when RUNNING.', () => (node.engine?.state === 'RUNNING' ? 1 : 0));
  new Gauge({
    name: 'shardex_engine_state',
    help: 'Lifecycle state (1 for the current one).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const s of STATES) this.set({ state: s }, (node.engine?.state ?? 'NEW') === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'shardex_engine_role',
    help: 'Role of this process for its shard (1 for the current one): active, standby, recovering...',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      for (const r of ROLES) this.set({ role: r }, node.role === r ? 1 : 0);
    },
  });
  const wb = (key: keyof WriteBufferMetrics, name: string, help: string) =>
    gauge(name, help, () => Number(node.writeBufferMetrics()?.[key] ?? 0));
  wb('buffered', 'shardex_write_buffer_buffered_rows', 'Rows waiting or in flight.');
  wb('flushCount', 'shardex_write_buffer_flushes', 'Successful flushes (this incarnation).');
  wb('totalFlushed', 'shardex_write_buffer_rows_written', 'Rows written (this incarnation).');
  wb('failedFlushes', 'shardex_write_buffer_failed_flushes', 'Flushes that failed (rows kept).');
  wb('retries', 'shardex_write_buffer_deadlock_retries', 'Transactions re-run after a deadlock or lock wait timeout.');
  wb('avgFlushTimeMs', 'shardex_write_buffer_flush_ms_avg', 'Average flush time, ms.');
  wb('lastFlushTimeMs', 'shardex_write_buffer_flush_ms_last', 'Last flush time, ms.');
  wb('lastFlushSize', 'shardex_write_buffer_flush_rows_last', 'Rows in the last flush.');
  return registry;
}

/**
 * /health — liveness (the k8s probe): 200 while the process does what its role says, 503 when the consume loop is
 * dead or silent past LIVENESS_TIMEOUT_MS; /ready — 200 when active, RUNNING and caught up (a standby is alive but
 * not ready); /metrics — Prometheus.
 */
export function createHttpServer(
  node: ShardNode,
  registry: Registry,
  { readyLag = 1000 }: { readyLag?: number } = {},
): Server {
  return createServer((req, res): void => {
    const json = (status: number, body: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET') return json(405, { statusCode: 405, error: 'Method Not Allowed' });
    const engine = node.engine;
    const state = engine?.state ?? 'NEW';
    if (req.url === '/health') {
      const live = node.liveness();
      return json(live.ok ? 200 : 503, {
        status: live.ok ? 'ok' : 'failing',
        role: node.role,
        state,
        epoch: node.epoch,
        ...(live.reason && { reason: live.reason }),
      });
    }
    if (req.url === '/ready') {
      if (node.role !== 'active' || !engine) return json(503, { ready: false, role: node.role, state });
      void engine.inputLag().then(
        (lag) => {
          const ready = engine.state === 'RUNNING' && lag <= readyLag;
          json(ready ? 200 : 503, { ready, role: node.role, state: engine.state, lag });
        },
        (err: Error) => json(503, { ready: false, role: node.role, state, error: err.message }),
      );
      return;
    }
    if (req.url === '/metrics') {
      void registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => json(500, { statusCode: 500, error: err.message }),
      );
      return;
    }
    json(404, { statusCode: 404, error: 'Not Found' });
  });
}
