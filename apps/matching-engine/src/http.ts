import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { WriteBuffer } from '@shardex/write-buffer';
import type { ShardEngine } from './shard-engine';

const STATES = ['NEW', 'INITIALIZED', 'RUNNING', 'STOPPED'] as const;

/** Prometheus metrics of the shard, read from the engine and the write buffer at scrape time. */
export function createMetrics(engine: ShardEngine, writeBuffer: WriteBuffer, shardId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ shard: shardId });
  const counter = (name: string, help: string, read: () => number) => {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read();
        this.inc(now - last);
        last = now;
      },
    });
  };
  counter('shardex_engine_commands_total', 'Commands applied to the order book.', () => engine.metrics.commandsApplied);
  counter('shardex_engine_events_total', 'Events published to the output topic.', () => engine.metrics.eventsPublished);
  counter(
    'shardex_engine_dead_letters_total',
    'Undecodable messages sent to the dead-letter topic.',
    () => engine.metrics.deadLettered,
  );
  counter('shardex_engine_batches_total', 'Kafka batches processed.', () => engine.metrics.batches);
  const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    });
  gauge('shardex_engine_last_batch_size', 'Messages in the last Kafka batch.', () => engine.metrics.lastBatchSize);
  gauge('shardex_engine_consumer_lag', 'Input messages not yet applied.', () => engine.inputLag().catch(() => -1));
  gauge('shardex_engine_last_seq', 'Sequence number of the last event.', () => engine.lastSeq);
  gauge('shardex_engine_snapshot_age_seconds', 'Seconds since the last snapshot (-1: none yet).', () =>
    engine.metrics.lastSnapshotAt === null ? -1 : (Date.now() - engine.metrics.lastSnapshotAt) / 1000,
  );
  gauge('shardex_engine_running', 'Lifecycle state: 1 when RUNNING.', () => (engine.state === 'RUNNING' ? 1 : 0));
  new Gauge({
    name: 'shardex_engine_state',
    help: 'Lifecycle state (1 for the current one).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const s of STATES) this.set({ state: s }, engine.state === s ? 1 : 0);
    },
  });
  const wb = (
    key:
      | 'buffered'
      | 'flushCount'
      | 'totalFlushed'
      | 'failedFlushes'
      | 'retries'
      | 'avgFlushTimeMs'
      | 'lastFlushTimeMs'
      | 'lastFlushSize',
    name: string,
    help: string,
  ) => gauge(name, help, () => writeBuffer.getMetrics()[key]);
  wb('buffered', 'shardex_write_buffer_buffered_rows', 'Rows waiting or in flight.');
  wb('flushCount', 'shardex_write_buffer_flushes', 'Successful flushes.');
  wb('totalFlushed', 'shardex_write_buffer_rows_written', 'Rows written.');
  wb('failedFlushes', 'shardex_write_buffer_failed_flushes', 'Flushes that failed (rows kept).');
  wb('retries', 'shardex_write_buffer_deadlock_retries', 'Transactions re-run after a deadlock or lock wait timeout.');
  wb('avgFlushTimeMs', 'shardex_write_buffer_flush_ms_avg', 'Average flush time, ms.');
  wb('lastFlushTimeMs', 'shardex_write_buffer_flush_ms_last', 'Last flush time, ms.');
  wb('lastFlushSize', 'shardex_write_buffer_flush_rows_last', 'Rows in the last flush.');
  return registry;
}

/** /health (the process answers), /ready (RUNNING and caught up), /metrics (Prometheus). */
export function createHttpServer(
  engine: ShardEngine,
  registry: Registry,
  { readyLag = 1000 }: { readyLag?: number } = {},
): Server {
  return createServer((req, res): void => {
    const json = (status: number, body: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET') return json(405, { statusCode: 405, error: 'Method Not Allowed' });
    if (req.url === '/health') return json(200, { status: 'ok', state: engine.state });
    if (req.url === '/ready') {
      void engine.inputLag().then(
        (lag) =>
          json(engine.state === 'RUNNING' && lag <= readyLag ? 200 : 503, {
            ready: engine.state === 'RUNNING' && lag <= readyLag,
            state: engine.state,
            lag,
          }),
        (err: Error) => json(503, { ready: false, state: engine.state, error: err.message }),
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
