import { createHash } from 'node:crypto';
import { decodeEvent, type EngineEvent } from '@shardex/contracts';
import { type Knex } from '@shardex/db';
import { createTestKafka, type TestInfra } from '@shardex/testing';
import { until } from './processes';
import { type SystemStack, SHARD_IDS } from './stack';
import { call, placeBody, type StreamRecord } from './traders';

/**
 * What the system did, read back from where users read it — the tables and the shards' output topics — and
 * compared with what the clients were told and with an uninterrupted reference run of the same accepted steps.
 */

export interface OrderRow {
  order_id: string;
  reason: string | null;
  post_only: number | boolean;
  symbol: string;
  user_id: string;
  side: string;
  type: string;
  time_in_force: string;
  price: string | null;
  quantity: string;
  filled_quantity: string;
  status: string;
}

export interface TradeRow {
  trade_id: string;
  shard_id: string;
  seq: number;
  symbol: string;
  price: string;
  quantity: string;
  taker_order_id: string;
  maker_order_id: string;
}

export interface OutputRecord {
  shardId: string;
  /** A digest of the record's value, to tell a byte-identical duplicate from a different event under one seq. */
  bytes: string;
  /** The event (a DEPTH event's books are dropped: only its seq matters here). */
  event: EngineEvent;
}

/** The reference run: every accepted step of each stream, in order, on its twin symbol, with nothing disturbed. */
export async function replayOnTwins(
  stack: SystemStack,
  records: readonly StreamRecord[],
  twin: (symbol: string) => string,
): Promise<Map<string, string>> {
  const orderIds = new Map<string, string>(); // reference cid → orderId
  // Symbols concurrently, each one's steps in order: the books are independent, so only that order matters.
  await Promise.all(
    records.map(async (record) => {
      const symbol = twin(record.symbol);
      const accepted = record.outcomes.filter((o) => o.result === 'accepted').map((o) => o.step);
      let batch: Array<{ cid: string; user: string; body: Record<string, string> }> = [];
      const flush = async () => {
        // One request per user and run of consecutive orders: a batch is one user's, in request order.
        while (batch.length > 0) {
          const user = (batch[0] as { user: string }).user;
          let n = 0;
          while (n < batch.length && n < 20 && (batch[n] as { user: string }).user === user) n++;
          const part = batch.slice(0, n);
          batch = batch.slice(n);
          const reply = await call(stack.gatewayUrl, 'POST', '/v1/orders/batch', stack.keys[user] as string, {
            orders: part.map((p) => p.body),
          });
          const results = (reply.body['results'] ?? []) as Array<{ statusCode: number; orderId?: string }>;
          if (reply.status !== 200 || results.some((r) => r.statusCode !== 202))
            throw new Error(`reference batch on ${symbol} → ${reply.status} ${JSON.stringify(reply.body)}`);
          part.forEach((p, i) => orderIds.set(p.cid, results[i]?.orderId as string));
        }
      };
      for (const step of accepted) {
        if (step.kind === 'place') {
          const cid = `r${step.cid}`;
          batch.push({ cid, user: step.user, body: placeBody(symbol, step, cid) });
          continue;
        }
        await flush();
        const reply = await call(
          stack.gatewayUrl,
          'DELETE',
          `/v1/orders?clientOrderId=${encodeURIComponent(`r${step.target}`)}`,
          stack.keys[step.user] as string,
        );
        // 409 ORDER_NOT_OPEN: the gateway already sees the order done; the shard would have refused the cancel.
        if (reply.status !== 202 && !(reply.status === 409 && reply.body['code'] === 'ORDER_NOT_OPEN'))
          throw new Error(`reference cancel on ${symbol} → ${reply.status} ${JSON.stringify(reply.body)}`);
      }
      await flush();
    }),
  );
  return orderIds;
}

/** Waits until every shard has committed its whole input topic: then every row and event of it is durable. */
export async function waitDrained(stack: SystemStack, ms = 180_000): Promise<void> {
  const admin = createTestKafka('e2e-drained', stack.infra).admin();
  await admin.connect();
  try {
    const prefix = stack.gateway.env['CONSUMER_GROUP_PREFIX'] as string;
    await until(
      'every shard to commit its whole input topic',
      async () => {
        for (const shardId of SHARD_IDS) {
          const topic = stack.topic(shardId, 'input');
          const [high] = await admin.fetchTopicOffsets(topic);
          const [committed] = await admin.fetchOffsets({ groupId: `${prefix}-${shardId}`, topics: [topic] });
          const c = committed?.partitions[0]?.offset ?? '-1';
          if (c === '-1' || BigInt(c) < BigInt(high?.high ?? '0')) return false;
        }
        return true;
      },
      ms,
      250,
    );
  } finally {
    await admin.disconnect();
  }
}

export async function readOrders(db: Knex, symbols: readonly string[]): Promise<OrderRow[]> {
  return db('orders')
    .whereIn('symbol', symbols)
    .select('order_id', 'symbol', 'user_id', 'side', 'type', 'time_in_force', 'price', 'quantity')
    .select('filled_quantity', 'status', 'reason', 'post_only');
}

export async function readTrades(db: Knex, symbols: readonly string[]): Promise<TradeRow[]> {
  const rows = (await db('trades')
    .whereIn('symbol', symbols)
    .select('trade_id', 'shard_id', 'seq', 'symbol', 'price', 'quantity', 'taker_order_id', 'maker_order_id')
    .orderBy(['shard_id', 'seq'])) as TradeRow[];
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/**
 * Every record of the shards' output topics, from the beginning: read until each partition's last offset was
 * seen (a count of messages would also count redeliveries); a record that does not decode fails the read.
 */
export async function readOutput(infra: TestInfra, topics: readonly string[]): Promise<OutputRecord[]> {
  const kafka = createTestKafka('e2e-output', infra);
  const admin = kafka.admin();
  await admin.connect();
  const last = new Map<string, bigint>(); // topic/partition → the offset to reach
  const seen = new Map<string, bigint>();
  for (const t of topics)
    for (const p of await admin.fetchTopicOffsets(t))
      if (BigInt(p.high) > BigInt(p.low)) last.set(`${t}/${p.partition}`, BigInt(p.high) - 1n);
  await admin.disconnect();
  const out: OutputRecord[] = [];
  if (last.size === 0) return out;
  const errors: string[] = [];
  const consumer = kafka.consumer({ groupId: `e2e-read-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = `${topic}/${partition}`;
      const offset = BigInt(message.offset);
      if (offset <= (seen.get(key) ?? -1n)) return; // a redelivery
      seen.set(key, offset);
      const decoded = decodeEvent({ value: message.value, headers: message.headers as Record<string, Buffer> });
      if (!decoded.ok) {
        errors.push(`${key}@${offset} does not decode: ${decoded.message}`);
        return;
      }
      const event = decoded.value;
      out.push({
        shardId: event.shardId,
        bytes: createHash('sha1')
          .update(message.value ?? Buffer.alloc(0))
          .digest('base64'),
        event:
          event.code === 'DEPTH' ? { ...event, payload: { symbol: event.payload.symbol, bids: [], asks: [] } } : event,
      });
    },
  });
  try {
    await until(
      'the output topics read to their end',
      () => [...last].every(([key, end]) => (seen.get(key) ?? -1n) >= end),
      180_000,
      100,
    );
  } finally {
    await consumer.disconnect();
  }
  if (errors.length > 0) throw new Error(`output records that do not decode:\n${errors.slice(0, 10).join('\n')}`);
  return out;
}

export interface Observed {
  orders: OrderRow[];
  trades: TradeRow[];
  output: OutputRecord[];
}

export interface Expected {
  /** The fault run's streams. */
  records: readonly StreamRecord[];
  /** The reference run's order ids, by its clientOrderIds (`r` + the fault run's). */
  reference: ReadonlyMap<string, string>;
  twin: (symbol: string) => string;
  /** Order ids the gateway reserved for orders it then answered "not sent" (from `client_orders`). */
  refusedOrderIds?: readonly string[];
  /** Each shard's own last seq (`shardex_engine_last_seq`) once drained: the output must reach it. */
  lastSeq?: Readonly<Record<string, number>>;
}

const num = (s: string | null | undefined) => (s === null || s === undefined ? null : Number(s));

/** An order's state as its last event on the output topic leaves it: [status, filled quantity]. */
function stateAfter(e: EngineEvent): [string, number] | undefined {
  switch (e.code) {
    case 'ORDER_ACCEPTED':
      return ['NEW', 0];
    case 'ORDER_UPDATED':
      return ['PARTIALLY_FILLED', Number(e.payload.filledQuantity)];
    case 'ORDER_FILLED':
      return ['FILLED', Number(e.payload.filledQuantity)];
    case 'ORDER_CANCELED':
      return ['CANCELED', Number(e.payload.filledQuantity)];
    case 'ORDER_EXPIRED':
      return ['EXPIRED', Number(e.payload.filledQuantity)];
    default:
      return undefined;
  }
}

/** Refusals of a re-sent copy of a command (a client's retry): the de-duplication working, not a decision. */
const COPY_REFUSALS = new Set(['DUPLICATE_COMMAND', 'STALE_COMMAND']);

/**
 * Every way the observed data can differ from what the clients were told, from the events and from the reference
 * run, as lines a failing test prints (empty: nothing lost, nothing applied twice, nothing refused executed).
 */
export function compareRuns(
  { records, reference, twin, refusedOrderIds = [], lastSeq = {} }: Expected,
  observed: Observed,
): string[] {
  const problems: string[] = [];
  let total = 0;
  const report = (line: string) => {
    total++;
    if (problems.length < 40) problems.push(line);
  };

  // The output topics: per shard, every seq from 1 to the last, and a repeated seq is the same bytes.
  const events = new Map<string, OutputRecord>();
  for (const shardId of SHARD_IDS) {
    const seqs = new Map<number, string>();
    for (const r of observed.output.filter((o) => o.shardId === shardId)) {
      const seen = seqs.get(r.event.seq);
      if (seen !== undefined && seen !== r.bytes) report(`${shardId} seq ${r.event.seq}: two different events`);
      seqs.set(r.event.seq, r.bytes);
      events.set(`${shardId}/${r.event.seq}`, r);
    }
    const sorted = [...seqs.keys()].sort((a, b) => a - b);
    if (sorted.length > 0 && sorted[0] !== 1) report(`${shardId}: output starts at seq ${sorted[0]}, not 1`);
    // The end too: events lost after the last one published would leave no gap.
    const last = lastSeq[shardId];
    if (last !== undefined && (sorted.at(-1) ?? 0) !== last)
      report(`${shardId}: output ends at seq ${sorted.at(-1) ?? 0}, the shard's last is ${last}`);
    for (let i = 1; i < sorted.length; i++)
      if ((sorted[i] as number) !== (sorted[i - 1] as number) + 1)
        report(`${shardId}: output seqs ${sorted[i - 1]} → ${sorted[i]} (a gap)`);
  }
  const unique = [...events.values()].map((r) => r.event).sort((a, b) => a.seq - b.seq);
  const byCommand = new Map<string, EngineEvent[]>(); // a PLACE's own accept/reject events, in order
  const lastState = new Map<string, [string, number]>();
  const tradeEvents = new Map<string, EngineEvent>();
  const acceptedOn = new Map<string, string>(); // orderId → symbol, from ORDER_ACCEPTED
  const named = new Set<string>(); // every orderId any event names
  for (const e of unique) {
    const p = e.payload as { orderId?: string; takerOrderId?: string; makerOrderId?: string };
    for (const id of [p.orderId, p.takerOrderId, p.makerOrderId]) if (id) named.add(id);
    if ((e.code === 'ORDER_ACCEPTED' || e.code === 'ORDER_REJECTED') && e.commandId?.startsWith('place:'))
      byCommand.set(e.commandId, [...(byCommand.get(e.commandId) ?? []), e]);
    if (e.code === 'ORDER_REJECTED' && e.payload.reason === 'DUPLICATE_ORDER_ID')
      report(`seq ${e.seq}: DUPLICATE_ORDER_ID for ${e.payload.orderId} (the gateway re-sends the same command)`);
    if (e.code === 'ORDER_ACCEPTED') acceptedOn.set(e.payload.orderId, e.payload.symbol);
    if (e.code === 'TRADE') tradeEvents.set(e.payload.tradeId, e);
    const state = stateAfter(e);
    if (state) lastState.set((e.payload as { orderId: string }).orderId, state);
  }
  const fateOf = (orderId: string | undefined) => {
    const first = orderId ? byCommand.get(`place:${orderId}`)?.[0] : undefined;
    if (!first) return 'no decision';
    return first.code === 'ORDER_ACCEPTED' ? 'accepted' : `rejected:${(first.payload as { reason: string }).reason}`;
  };

  const rowById = new Map(observed.orders.map((o) => [o.order_id, o]));
  const cidOf = new Map<string, string>(); // orderId → the fault run's cid (reference ids map to the same cid)
  const symbols = records.map((r) => r.symbol);
  const view = (r: OrderRow | undefined) =>
    r &&
    JSON.stringify([
      r.user_id,
      r.side,
      r.type,
      r.time_in_force,
      num(r.price),
      num(r.quantity),
      num(r.filled_quantity),
      r.status,
      r.reason,
      Boolean(r.post_only),
    ]);
  for (const record of records) {
    const accepted = new Set<string>();
    for (const o of record.outcomes) {
      if (o.step.kind !== 'place' || o.result === 'refused') continue;
      const cid = o.step.cid;
      if (!o.orderId) {
        report(`${cid}: accepted without an orderId`);
        continue;
      }
      accepted.add(o.orderId);
      cidOf.set(o.orderId, cid);
      const refId = reference.get(`r${cid}`);
      if (refId) cidOf.set(refId, cid);
      // Decided once: the first event of its PLACE decides; later ones may only refuse re-sent copies, and only
      // when the client did send it again.
      const [, ...later] = byCommand.get(`place:${o.orderId}`) ?? [];
      for (const e of later)
        if (e.code !== 'ORDER_REJECTED' || !COPY_REFUSALS.has(e.payload.reason) || o.answers.length < 2)
          report(`${cid} (${o.orderId}): a second decision, ${e.code} at seq ${e.seq}`);
      const fate = fateOf(o.orderId);
      const refFate = fateOf(refId);
      if (fate === 'no decision') report(`${cid} (${o.orderId}): answered 202, never decided by the shard (lost)`);
      if (fate !== refFate) report(`${cid}: ${fate} here, ${refFate} in the reference run`);
      const row = rowById.get(o.orderId);
      if (fate === 'accepted' && !row) report(`${cid} (${o.orderId}): accepted by the shard, no row (lost)`);
      if (view(row) !== view(refId ? rowById.get(refId) : undefined))
        report(`${cid}: row ${view(row)} here, ${view(refId ? rowById.get(refId) : undefined)} in the reference run`);
    }
    // Nothing on the symbol (or its twin) that no client was told was accepted: a refused order executed, a
    // duplicate order.
    const referenceIds = new Set(reference.values());
    for (const [symbol, known] of [
      [record.symbol, accepted],
      [twin(record.symbol), referenceIds],
    ] as const) {
      for (const row of observed.orders.filter((r) => r.symbol === symbol))
        if (!known.has(row.order_id)) report(`${symbol}: order ${row.order_id} was never accepted by the API`);
      for (const [orderId, on] of acceptedOn)
        if (on === symbol && !known.has(orderId))
          report(`${symbol}: ${orderId} accepted on the output topic, never by the API`);
    }
  }
  // Every row as its order's last event left it: a lost update shows here even when both runs lost it.
  for (const row of observed.orders) {
    const state = lastState.get(row.order_id);
    if (!state) report(`order ${row.order_id}: a row, no event`);
    else if (state[0] !== row.status || state[1] !== Number(row.filled_quantity))
      report(`order ${row.order_id}: row ${row.status} ${Number(row.filled_quantity)}, events say ${state.join(' ')}`);
  }
  for (const id of refusedOrderIds) {
    if (named.has(id)) report(`${id}: answered "not sent", yet an event names it`);
    if (rowById.has(id)) report(`${id}: answered "not sent", yet it has a row`);
  }

  // Trades: each symbol's, in the shard's order, as (taker, maker, price, quantity) by clientOrderId, equal to its
  // twin's; one row per TRADE event and the other way round.
  const tradesOf = (symbol: string) =>
    observed.trades
      .filter((t) => t.symbol === symbol)
      .map((t) =>
        JSON.stringify([
          cidOf.get(t.taker_order_id) ?? t.taker_order_id,
          cidOf.get(t.maker_order_id) ?? t.maker_order_id,
          num(t.price),
          num(t.quantity),
        ]),
      );
  for (const symbol of symbols) {
    const here = tradesOf(symbol);
    const there = tradesOf(twin(symbol));
    if (here.length !== there.length)
      report(`${symbol}: ${here.length} trades here, ${there.length} in the reference run`);
    const first = here.findIndex((t, i) => t !== there[i]);
    if (first >= 0) report(`${symbol}: trade #${first} is ${here[first]} here, ${there[first]} in the reference run`);
  }
  const all = new Set([...symbols, ...symbols.map(twin)]);
  const rows = observed.trades.filter((t) => all.has(t.symbol));
  const rowIds = new Set(rows.map((t) => t.trade_id));
  for (const t of rows) if (!tradeEvents.has(t.trade_id)) report(`trade ${t.trade_id}: a row, no TRADE event`);
  for (const [id, e] of tradeEvents)
    if (e.code === 'TRADE' && all.has(e.payload.symbol) && !rowIds.has(id))
      report(`trade ${id}: a TRADE event, no row`);
  if (total > problems.length) problems.push(`… and ${total - problems.length} more`);
  return problems;
}
