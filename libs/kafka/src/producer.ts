import type { OutgoingRecord, ProducerPort } from '@shardex/order-router';
import type { KafkaClientOptions } from './clients';
import type { OutgoingMessage } from './driver';
import { kafkaDriver } from './drivers';
import { KafkaAdapterError } from './errors';

export interface KafkaProducerOptions extends KafkaClientOptions {
  /** How long a record may wait for others to the same topic before its batch is sent, ms. Default 2. */
  lingerMs?: number;
  /** A topic's batch is sent at once when it holds this many records. Default 500. */
  maxBatchRecords?: number;
  /**
   * ... or when it would pass this many bytes (keys, values, headers): one produce request must stay below the
   * broker's message.max.bytes (1 MiB by default), or it fails every time it is retried. Default 512 KiB.
   */
  maxBatchBytes?: number;
  /**
   * After one failed send, fail every later one too, without sending it: for a sender whose records must never
   * overtake an earlier one that failed (the matching engine replays from its snapshot instead). Default false.
   */
  failFast?: boolean;
  /**
   * After a failed send to a topic, refuse that topic's next records for this long without sending them
   * (KAFKA_ERR_NOT_SENT), including those already queued behind the failed batch; the first batch after the window
   * probes the broker again. For a sender that must answer promptly (the gateway answers 503 at once instead of
   * making every request wait out the client's retries while the broker is gone). Default 0: off.
   */
  openCircuitMs?: number;
  /** Told of every produce request once it settled: its topic, how many records it carried, and whether it failed. */
  onBatch?: (batch: { topic: string; records: number; failed: boolean }) => void;
}

export interface KafkaProducer extends ProducerPort {
  connect(): Promise<void>;
  /**
   * Sends every waiting batch now; resolves when all records sent so far are acknowledged, and rejects
   * (KAFKA_ERR_SEND) if any of them failed since the last flush — a flush that resolves means nothing was lost.
   */
  flush(): Promise<void>;
  disconnect(): Promise<void>;
}

interface Pending {
  message: OutgoingMessage;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** What a record adds to a produce request, roughly: its key, value and headers plus the record framing. */
function recordBytes(r: OutgoingRecord): number {
  let n = 64 + Buffer.byteLength(r.key) + Buffer.byteLength(r.value);
  for (const [k, v] of Object.entries(r.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n;
}

/**
 * The producer behind ProducerPort: batching per topic with a short linger, batches bounded in records and bytes,
 * then handed to the client's transport (idempotent, acks from all in-sync replicas, murmur2 keys). Batches are per
 * topic, so a failing topic fails only its own records; batches of one topic go out one after another, so a retry
 * or a topic check never lets a later record of a key overtake an earlier one.
 */
export function createKafkaProducer({
  lingerMs = 2,
  maxBatchRecords = 500,
  maxBatchBytes = 512 * 1024,
  failFast = false,
  openCircuitMs = 0,
  onBatch,
  ...client
}: KafkaProducerOptions): KafkaProducer {
  if (!Number.isFinite(lingerMs) || lingerMs < 0)
    throw new KafkaAdapterError('KAFKA_ERR_CONFIG', 'lingerMs must be >= 0');
  if (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1)
    throw new KafkaAdapterError('KAFKA_ERR_CONFIG', 'maxBatchRecords must be a positive integer');
  if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < 1024)
    throw new KafkaAdapterError('KAFKA_ERR_CONFIG', 'maxBatchBytes must be an integer >= 1024');
  const transport = kafkaDriver(client).transport(client);
  let connected = false;
  const queues = new Map<string, Pending[]>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const chains = new Map<string, Promise<void>>();
  const queuedBytes = new Map<string, number>();
  /** The first send failure no flush() has reported yet. */
  let unreported: KafkaAdapterError | null = null;
  /** With failFast: the failure every later send is refused with. */
  let stopped: KafkaAdapterError | null = null;
  /** With openCircuitMs: per topic, until when its records are refused unsent, and why. */
  const circuits = new Map<string, { until: number; cause: string }>();
  const openCircuit = (topic: string): KafkaAdapterError | null => {
    const c = circuits.get(topic);
    if (!c || Date.now() >= c.until) return null;
    return new KafkaAdapterError('KAFKA_ERR_NOT_SENT', `not sent to ${topic}: a send failed moments ago (${c.cause})`, {
      retriable: true,
    });
  };

  function sendTopic(topic: string): void {
    const timer = timers.get(topic);
    if (timer) {
      clearTimeout(timer);
      timers.delete(topic);
    }
    const batch = queues.get(topic);
    if (!batch || batch.length === 0) return;
    queues.delete(topic);
    queuedBytes.delete(topic);
    // Batches of one topic go out one after another: a topic check or a retry must not let a later batch (and so a
    // later message of some key) overtake an earlier one.
    const previous = chains.get(topic) ?? Promise.resolve();
    const done: Promise<void> = previous
      .then(() => {
        // A later batch never goes out after an earlier one failed.
        if (stopped) throw stopped;
        const refused = openCircuit(topic);
        if (refused) throw refused;
        return transport.send(
          topic,
          batch.map((p) => p.message),
        );
      })
      .then(
        () => {
          circuits.delete(topic);
          onBatch?.({ topic, records: batch.length, failed: false });
          for (const p of batch) p.resolve();
        },
        (cause: unknown) => {
          if (cause instanceof KafkaAdapterError && cause.code === 'KAFKA_ERR_NOT_SENT') {
            unreported ??= cause;
            for (const p of batch) p.reject(cause);
            return;
          }
          if (openCircuitMs > 0)
            circuits.set(topic, {
              until: Date.now() + openCircuitMs,
              cause: (cause as Error)?.message ?? String(cause),
            });
          const err = new KafkaAdapterError(
            'KAFKA_ERR_SEND',
            `${batch.length} record(s) to ${topic}: ${(cause as Error)?.message ?? String(cause)}`,
            {
              retriable: true,
              cause,
            },
          );
          unreported ??= err;
          if (failFast) stopped ??= err;
          onBatch?.({ topic, records: batch.length, failed: true });
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        inFlight.delete(done);
        if (chains.get(topic) === done) chains.delete(topic);
      });
    chains.set(topic, done);
    inFlight.add(done);
  }

  /** Sends what waits and resolves once everything sent so far is settled; rejects if any of it failed. */
  async function flush(): Promise<void> {
    for (const topic of [...queues.keys()]) sendTopic(topic);
    // Batches of a topic are chained, so the ones in flight now cover every record sent before this call.
    await Promise.all([...inFlight]);
    if (unreported) {
      const err = unreported;
      unreported = null;
      throw err;
    }
  }

  return {
    async connect() {
      // Connect now, so a broker that is not there fails connect() rather than the first send.
      await transport.connect();
      connected = true;
    },
    send(record: OutgoingRecord): Promise<void> {
      if (!connected)
        return Promise.reject(new KafkaAdapterError('KAFKA_ERR_NOT_CONNECTED', 'producer is not connected'));
      if (stopped) return Promise.reject(stopped);
      const refused = openCircuit(record.topic);
      if (refused) return Promise.reject(refused);
      const bytes = recordBytes(record);
      // A record that would push the batch past maxBatchBytes starts the next one.
      if ((queuedBytes.get(record.topic) ?? 0) + bytes > maxBatchBytes) sendTopic(record.topic);
      return new Promise<void>((resolve, reject) => {
        let queue = queues.get(record.topic);
        if (!queue) {
          queue = [];
          queues.set(record.topic, queue);
        }
        queue.push({ message: { key: record.key, value: record.value, headers: record.headers }, resolve, reject });
        queuedBytes.set(record.topic, (queuedBytes.get(record.topic) ?? 0) + bytes);
        if (queue.length >= maxBatchRecords) sendTopic(record.topic);
        else if (!timers.has(record.topic))
          timers.set(
            record.topic,
            setTimeout(() => sendTopic(record.topic), lingerMs),
          );
      });
    },
    flush,
    async disconnect() {
      // What waits is sent first; each record's outcome reaches its sender through its own send() promise.
      await flush().catch(() => undefined);
      connected = false;
      await transport.disconnect();
    },
  };
}
