import type { Kafka } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { LatencyHistogram } from './histogram';

interface Pending {
  acceptedAt: number;
  /** Accepted while the tracker was recording (not during the warm-up). */
  recorded: boolean;
}

/**
 * What happened to each accepted order after its 202, on the bench's own clock (performance.now()):
 *
 * - accept→matched: from the answer that accepted the order to its first event on the shard's output topic
 *   (ORDER_ACCEPTED, or ORDER_REJECTED), observed by the bench's consumer — every order.
 * - accept→persisted: from that answer to the first poll that finds the order's row in MySQL — one order in
 *   `sampleEvery` (rejected orders get no row and leave the sample).
 *
 * An event can beat its answer (the shard was quicker than the gateway's reply): it waits in `early` and is recorded
 * as 0 ms (counted in `matched.negative`) when the answer comes.
 */
export class OutcomeTracker {
  readonly matched = new LatencyHistogram();
  readonly persisted = new LatencyHistogram();
  /** Record what is accepted from now on (false during the warm-up: those orders are followed but not counted). */
  recording = false;
  accepted = 0;
  eventsSeen = 0;
  rejected = 0;
  trades = 0;
  private readonly awaitingEvent = new Map<string, Pending>();
  private readonly awaitingRow = new Map<string, Pending>();
  private readonly early = new Map<string, { at: number; rejected: boolean }>();

  constructor(private readonly sampleEvery: number) {
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1)
      throw new RangeError('sampleEvery must be a positive integer');
  }

  /** The gateway accepted `orderId` at `at`. */
  accept(orderId: string, at: number): void {
    const recorded = this.recording;
    const sampled = this.accepted++ % this.sampleEvery === 0;
    const seen = this.early.get(orderId);
    if (seen) {
      this.early.delete(orderId);
      if (recorded) this.matched.record(seen.at - at);
      if (seen.rejected) return;
    } else this.awaitingEvent.set(orderId, { acceptedAt: at, recorded });
    if (sampled) this.awaitingRow.set(orderId, { acceptedAt: at, recorded });
  }

  /** The order's first event (ORDER_ACCEPTED or ORDER_REJECTED) reached the output topic and the bench saw it. */
  event(orderId: string, rejected: boolean, at: number): void {
    this.eventsSeen++;
    if (rejected) this.rejected++;
    const pending = this.awaitingEvent.get(orderId);
    if (!pending) {
      this.early.set(orderId, { at, rejected });
      return;
    }
    this.awaitingEvent.delete(orderId);
    if (pending.recorded) this.matched.record(at - pending.acceptedAt);
    if (rejected) this.awaitingRow.delete(orderId); // no row will ever come
  }

  /** Sampled orders still waiting for their row, oldest first. */
  rowsToLookFor(limit: number): string[] {
    const out: string[] = [];
    for (const id of this.awaitingRow.keys()) {
      if (out.length >= limit) break;
      out.push(id);
    }
    return out;
  }

  /** A poll answered at `at` found these rows. */
  rowsFound(orderIds: Iterable<string>, at: number): void {
    for (const id of orderIds) {
      const pending = this.awaitingRow.get(id);
      if (!pending) continue;
      this.awaitingRow.delete(id);
      if (pending.recorded) this.persisted.record(at - pending.acceptedAt);
    }
  }

  /** Forgets events with no answer older than `maxAgeMs` (orders of an earlier run, or answers that never came). */
  prune(now: number, maxAgeMs = 60_000): void {
    for (const [id, e] of this.early) if (now - e.at > maxAgeMs) this.early.delete(id);
  }

  get outstanding(): { events: number; rows: number } {
    return { events: this.awaitingEvent.size, rows: this.awaitingRow.size };
  }

  /** Starts measuring: histograms emptied, everything accepted from now on counted. */
  startRecording(): void {
    this.matched.reset();
    this.persisted.reset();
    this.recording = true;
  }
}

const ORDER_ID = /"orderId":"([^"]+)"/;

/**
 * Follows the output topics with a consumer of the bench's own and reports each order's first event to the
 * tracker. Only the header is read for most events; ORDER_ACCEPTED and ORDER_REJECTED are searched for their
 * orderId (the first one in the body is the order's). Resolves once the consumer has joined and fetched, so nothing
 * accepted after that is missed; the time of an event is when its batch reached the bench.
 */
export async function followOutputTopics(
  kafka: Kafka,
  topics: readonly string[],
  groupId: string,
  tracker: OutcomeTracker,
  { fromBeginning = true }: { fromBeginning?: boolean } = {},
): Promise<{ stop(): Promise<void> }> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, sessionTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning });
  const fetched = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.FETCH, () => {
      off();
      resolve();
    });
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const m of batch.messages) {
        const code = m.headers?.['shardex-code']?.toString();
        if (code === 'TRADE') tracker.trades++;
        if (code !== 'ORDER_ACCEPTED' && code !== 'ORDER_REJECTED') continue;
        const id = m.value ? ORDER_ID.exec(m.value.toString())?.[1] : undefined;
        if (id) tracker.event(id, code === 'ORDER_REJECTED', at);
      }
    },
  });
  await Promise.race([
    fetched,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('the output-topic consumer did not fetch within 30 s')), 30_000).unref(),
    ),
  ]);
  return { stop: () => consumer.disconnect() };
}

/**
 * Polls MySQL for the sampled orders' rows every `intervalMs`: `SELECT order_id FROM orders WHERE order_id IN (…)`,
 * oldest first, up to `batch` ids a query. A row is recorded as persisted when the poll that first found it answered:
 * at most one interval plus the query's own time after it became visible (an upper bound, never an early reading).
 */
export function pollPersistedRows(
  pool: Pool,
  tracker: OutcomeTracker,
  { intervalMs = 25, batch = 2_000 }: { intervalMs?: number; batch?: number } = {},
): { stop(): Promise<void>; readonly polls: number } {
  let stopped = false;
  let polls = 0;
  let failure: unknown;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const ids = tracker.rowsToLookFor(batch);
      if (ids.length > 0) {
        polls++;
        const [rows] = await pool.query('SELECT order_id FROM orders WHERE order_id IN (?)', [ids]);
        tracker.rowsFound(
          (rows as Array<{ order_id: string }>).map((r) => r.order_id),
          performance.now(),
        );
      }
      const wait = intervalMs - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })().catch((err: unknown) => {
    failure = err; // reported by stop(): a bench that lost its database must not print figures
  });
  return {
    stop: async () => {
      stopped = true;
      await loop;
      if (failure) throw failure;
    },
    get polls() {
      return polls;
    },
  };
}
