import { STATUS_CODES } from 'node:http';
import {
  type CancelAllOrdersCommand,
  type CancelOrderCommand,
  decodeCommand,
  encodeCommand,
  HEADER_VERSION,
  type OrderCommand,
  type PlaceOrderCommand,
  type PlaceOrderRequest,
  SCHEMA_VERSION,
} from '@shardex/contracts';
import type { VerifiedApiKey } from '@shardex/db';
import { type ApiErrorCode, ApiError } from '../errors';
import type { OrderIdGenerator } from '../order-ids';
import type { ClientOrders, CommandSender, InstrumentCatalog, MarketFeed, OrderOutcome, OrderQueries } from '../ports';
import { buildPlaceOrder } from './place-order';
import { createRecentOrders, type RecentOrders } from './recent-orders';
import { toFillView, toViewStatus } from './views';

type Principal = Pick<VerifiedApiKey, 'userId'>;

export interface OrderAck {
  orderId: string;
  clientOrderId: string | null;
  symbol: string;
  shardId: string;
  status: 'accepted' | 'unknown';
}

export interface OrderResult {
  orderId: string;
  clientOrderId: string | null;
  symbol: string;
  shardId: string;
  status: ReturnType<typeof toViewStatus>;
  filledQuantity: string;
  reason: string | null;
  fills: ReturnType<typeof toFillView>[];
}

export type BatchEntry =
  | ({ statusCode: number } & OrderAck)
  | { statusCode: number; code: string; error: string; message: string; orderId?: string };

export type PlaceOutcome = { statusCode: 202; body: OrderAck } | { statusCode: 201; body: OrderResult };

export interface CancelAck {
  orderId?: string;
  clientOrderId?: string;
  symbol: string;
  shardId: string;
  status: 'cancel_requested';
}

export interface OrderServiceOptions {
  sender: CommandSender;
  catalog: InstrumentCatalog;
  clientOrders: ClientOrders;
  queries: Pick<OrderQueries, 'getOrder'>;
  feed: Pick<MarketFeed, 'waitForOrder'>;
  ids: OrderIdGenerator;
  /** Epoch ms: the commands' issuedAt. */
  now?: () => number;
  resultTimeoutMs?: number;
  /**
   * The longest a produce may take before the request is answered 503 (the order may then be in Kafka: the answer
   * says so and carries its orderId). Default 8,000.
   */
  produceTimeoutMs?: number;
  /** The longest the clientOrderId reservation may take before the request is answered 503. Default 2,000. */
  reserveTimeoutMs?: number;
  /**
   * A retry finds its first attempt unconfirmed (pending): younger than this, the stored command is sent again (the
   * shard de-duplicates it within its 60 s window); older, re-sending could land after that window, so the order is
   * looked up instead. Half the shard's de-duplication window; default 30,000.
   */
  resendWindowMs?: number;
  /** Why orders cannot be taken right now (the clock is off, say), or null. */
  refuseOrders?: () => string | null;
  /** Orders placed through this gateway remembered for cancels before the shard has stored them. */
  recentOrders?: RecentOrders;
  onSendFailure?: (err: unknown, command: OrderCommand) => void;
  onMarkSentFailure?: (err: unknown, orderId: string) => void;
}

/** The shard's reasons a client can act on get their own code; the rest are ORDER_REJECTED. */
const REJECTION_CODES: Readonly<Record<string, ApiErrorCode>> = {
  UNKNOWN_SYMBOL: 'UNKNOWN_SYMBOL',
  INVALID_PRICE: 'INVALID_PRICE',
  INVALID_QUANTITY: 'INVALID_QUANTITY',
  INVALID_ORDER: 'INVALID_ORDER',
  POST_ONLY_WOULD_TAKE: 'POST_ONLY_WOULD_TAKE',
  MAX_OPEN_ORDERS: 'MAX_OPEN_ORDERS',
  MAX_OPEN_ORDERS_PER_USER: 'MAX_OPEN_ORDERS_PER_USER',
  ENGINE_NOT_RUNNING: 'ENGINE_NOT_RUNNING',
};

const OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);
const DUPLICATE_REASONS = new Set(['DUPLICATE_COMMAND', 'DUPLICATE_ORDER_ID']);

function notSent(err: unknown): boolean {
  // The router wraps the producer's error in its own; the producer's code says whether anything was sent.
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (e.code === 'KAFKA_ERR_NOT_SENT') return true;
  return false;
}

function unconfirmed(orderId: string): ApiError {
  return new ApiError(
    'ORDER_UNCONFIRMED',
    'an earlier attempt with this clientOrderId was never confirmed by Kafka and is too old to send again; ' +
      'GET /v1/orders/{orderId} shows whether it was placed — if not, place it under a new clientOrderId',
    {},
    orderId,
  );
}

/**
 * `work`, or a rejection after `ms`. The work is not cancelled (a produce or a statement cannot be taken back): its
 * late outcome is swallowed here, and what it means is for the caller to say.
 */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function unavailable(message: string): ApiError {
  return new ApiError('UNAVAILABLE', message, { 'retry-after': '1' });
}

/**
 * Placing and canceling orders: validation against the instrument, the clientOrderId idempotency, the produce
 * (acks=all) and, for `responseType: "result"`, the wait for the shard's outcome. The order of the durable steps
 * for a clientOrderId is the store's (client-orders.ts): reserve → produce → markSent.
 */
export function createOrderService({
  sender,
  catalog,
  clientOrders,
  queries,
  feed,
  ids,
  now = Date.now,
  resultTimeoutMs = 2_000,
  produceTimeoutMs = 8_000,
  reserveTimeoutMs = 2_000,
  resendWindowMs = 30_000,
  refuseOrders = () => null,
  recentOrders = createRecentOrders(),
  onSendFailure,
  onMarkSentFailure,
}: OrderServiceOptions) {
  // The clock as it is: a latch on the largest time seen would keep a clock that once ran ahead ahead for good (the
  // clock guard refuses orders while this gateway's clock is off).
  const issuedAt = () => now();

  /**
   * Sends a command; resolves once Kafka acknowledged it. A failure is 503 either way; whether the command may be in
   * Kafka decides what the answer says: refused unsent (the producer's open circuit) → nothing was done; failed or
   * timed out after sending → it may have been placed, and a place carries its orderId so the client can check.
   */
  async function send(command: OrderCommand): Promise<string> {
    try {
      // After the deadline nobody awaits the send; its outcome is the broker's.
      return (await within(sender.send(command), produceTimeoutMs, 'no acknowledgement')).shardId;
    } catch (err) {
      onSendFailure?.(err, command);
      if (notSent(err)) throw unavailable('Kafka cannot take orders right now; nothing was placed');
      const orderId = command.code === 'PLACE_ORDER' ? command.payload.orderId : undefined;
      throw new ApiError(
        'UNAVAILABLE',
        command.code === 'PLACE_ORDER'
          ? 'Kafka did not confirm the order: it may or may not be placed. Retry with the same clientOrderId (safe), ' +
              'or see GET /v1/orders/{orderId}'
          : 'Kafka did not confirm the cancel; it may or may not be applied. Retrying it is safe',
        { 'retry-after': '1' },
        orderId,
      );
    }
  }

  async function reserve(input: Parameters<ClientOrders['reserve']>[0]) {
    try {
      return await within(clientOrders.reserve(input), reserveTimeoutMs, 'reservation');
    } catch {
      // Nothing was sent. If the reservation still lands, a retry finds it pending and sends it then.
      throw unavailable('the order cannot be recorded right now; retry with the same clientOrderId');
    }
  }

  type Prepared =
    | { kind: 'answered'; ack: OrderAck }
    | { kind: 'send'; command: PlaceOrderCommand; clientOrderId: string | null; resent: boolean };

  /**
   * Everything before the produce: validation against the instrument and, with a clientOrderId, the reservation.
   * A retry of an order already sent is answered here and never sent again.
   */
  async function prepare(principal: Principal, request: PlaceOrderRequest): Promise<Prepared> {
    const refusal = refuseOrders();
    if (refusal) throw unavailable(refusal);
    const entry = catalog.lookup(request.symbol);
    const orderId = ids.next();
    const built = buildPlaceOrder(request, {
      userId: principal.userId,
      orderId,
      issuedAt: issuedAt(),
      instrument: entry?.instrument,
    });
    if (!built.ok) throw new ApiError(built.code, built.message);
    const clientOrderId = request.clientOrderId ?? null;
    if (clientOrderId === null) return { kind: 'send', command: built.command, clientOrderId, resent: false };
    const reservation = await reserve({
      userId: principal.userId,
      clientOrderId,
      orderId,
      symbol: built.command.payload.symbol,
      command: encodeCommand(built.command).value,
      at: new Date(built.command.issuedAt),
    });
    if (reservation.fresh) return { kind: 'send', command: built.command, clientOrderId, resent: false };
    // A retry: the original order stands, whatever this request's body says (Coinbase's rule).
    const original: OrderAck = {
      orderId: reservation.orderId,
      clientOrderId,
      symbol: reservation.symbol,
      shardId: sender.shardOf(reservation.symbol),
      status: 'accepted',
    };
    if (reservation.state === 'sent') return { kind: 'answered', ack: original };
    // Pending: the first attempt was not confirmed (its produce failed or timed out, or marking it sent did not land).
    // The store holds the value this build encoded (schema version SCHEMA_VERSION); decoding re-checks it.
    const stored = decodeCommand({ value: reservation.command, headers: { [HEADER_VERSION]: String(SCHEMA_VERSION) } });
    if (!stored.ok || stored.value.code !== 'PLACE_ORDER') throw unconfirmed(reservation.orderId);
    if (now() - stored.value.issuedAt < resendWindowMs)
      return { kind: 'send', command: stored.value, clientOrderId, resent: true };
    // Too old to send again safely: a re-send after the shard's de-duplication window is refused as STALE_COMMAND
    // (or, had the original been applied and forgotten, could not be told apart). Ask the shard's table instead.
    let placed;
    try {
      placed = await queries.getOrder(principal.userId, reservation.orderId);
    } catch {
      throw unavailable('orders cannot be looked up right now');
    }
    if (!placed) throw unconfirmed(reservation.orderId);
    clientOrders
      .markSent(principal.userId, clientOrderId, new Date(now()))
      .catch((err: unknown) => onMarkSentFailure?.(err, reservation.orderId));
    return { kind: 'answered', ack: original };
  }

  /** The produce and, with a clientOrderId, marking the reservation sent. Resolves once Kafka has the command. */
  async function deliver(
    principal: Principal,
    command: PlaceOrderCommand,
    clientOrderId: string | null,
  ): Promise<OrderAck> {
    const placed = command.payload;
    const shardId = await send(command);
    recentOrders.remember(placed.orderId, placed.userId, placed.symbol);
    if (clientOrderId !== null) {
      // Not awaited: Kafka has the order, so it is accepted whatever happens here. A row left pending (this write
      // failed, or has not landed when a retry comes) only means a retry re-sends the same command, which the shard
      // de-duplicates by commandId; answering 503 here would invite a retry under a new clientOrderId.
      clientOrders
        .markSent(principal.userId, clientOrderId, new Date(now()))
        .catch((err: unknown) => onMarkSentFailure?.(err, placed.orderId));
    }
    return { orderId: placed.orderId, clientOrderId, symbol: placed.symbol, shardId, status: 'accepted' };
  }

  /** Validates and sends one order; resolves once Kafka has it. `result` waits for the shard's outcome after that. */
  async function place(principal: Principal, request: PlaceOrderRequest): Promise<PlaceOutcome> {
    const prepared = await prepare(principal, request);
    if (prepared.kind === 'answered') return { statusCode: 202, body: prepared.ack };
    const { command, clientOrderId, resent } = prepared;
    // Registered before the produce: the shard's events can arrive before Kafka's acknowledgement does.
    const wait =
      request.responseType === 'result' ? feed.waitForOrder(command.payload.orderId, resultTimeoutMs) : undefined;
    let ack: OrderAck;
    try {
      ack = await deliver(principal, command, clientOrderId);
    } catch (err) {
      wait?.cancel();
      throw err;
    }
    if (!wait) return { statusCode: 202, body: ack };
    const outcome = await wait.outcome;
    if (!outcome) return { statusCode: 202, body: { ...ack, status: 'unknown' } };
    // A re-sent command refused as a duplicate: the first attempt did reach the shard, and that order stands.
    if (resent && outcome.rejection && DUPLICATE_REASONS.has(outcome.rejection.reason))
      return { statusCode: 202, body: { ...ack, status: 'unknown' } };
    return resultOf(ack, command.payload.side, outcome);
  }

  function resultOf(ack: OrderAck, side: 'BUY' | 'SELL', outcome: OrderOutcome): PlaceOutcome {
    if (outcome.rejection) {
      const code = REJECTION_CODES[outcome.rejection.reason] ?? 'ORDER_REJECTED';
      const detail = outcome.rejection.detail ? ` (${outcome.rejection.detail})` : '';
      throw new ApiError(code, `${outcome.rejection.reason}${detail}: ${outcome.rejection.message}`, {}, ack.orderId);
    }
    return {
      statusCode: 201,
      body: {
        orderId: ack.orderId,
        clientOrderId: ack.clientOrderId,
        symbol: ack.symbol,
        shardId: ack.shardId,
        status: toViewStatus(outcome.status),
        filledQuantity: outcome.filledQuantity,
        reason: outcome.reason ?? null,
        fills: outcome.fills.map((f) => toFillView({ ...f, orderId: ack.orderId, symbol: ack.symbol, side })),
      },
    };
  }

  /**
   * A batch: each order validated and reserved on its own, then all sent in request order without waiting for each
   * other (the producer puts concurrent sends to one shard into one produce request, in call order, so orders on
   * one symbol keep the batch's order), each answered with what it alone would have got.
   */
  async function placeBatch(principal: Principal, requests: readonly PlaceOrderRequest[]): Promise<BatchEntry[]> {
    const seen = new Set<string>();
    const prepared = await Promise.all(
      requests.map((request) => {
        // Two entries under one clientOrderId would be one order answered twice, the second silently dropped.
        const cid = request.clientOrderId;
        if (cid !== undefined && seen.has(cid))
          return Promise.resolve({
            ok: false as const,
            err: new ApiError('VALIDATION_FAILED', `clientOrderId ${cid} is repeated in this batch`),
          });
        if (cid !== undefined) seen.add(cid);
        return prepare(principal, request).then(
          (p) => ({ ok: true as const, p }),
          (err: unknown) => ({ ok: false as const, err }),
        );
      }),
    );
    const delivered = prepared.map((r) => {
      if (!r.ok) return Promise.reject(r.err);
      if (r.p.kind === 'answered') return Promise.resolve(r.p.ack);
      return deliver(principal, r.p.command, r.p.clientOrderId);
    });
    const settled = await Promise.allSettled(delivered);
    return settled.map((s): BatchEntry => {
      if (s.status === 'fulfilled') return { statusCode: 202, ...s.value };
      const e = s.reason instanceof ApiError ? s.reason : new ApiError('INTERNAL');
      const entry = { statusCode: e.statusCode, code: e.code, error: errorName(e.statusCode), message: e.message };
      return e.orderId === undefined ? entry : { ...entry, orderId: e.orderId };
    });
  }

  /**
   * Finds the caller's order without revealing anyone else's: what this gateway placed moments ago, the shard's
   * table, then the clientOrderId reservations (shared by every gateway, written before the order was sent) — so an
   * order placed through another replica and not yet stored by the shard is still found if it has a clientOrderId.
   */
  async function ownedOrder(
    principal: Principal,
    orderId: string,
    reserved?: { symbol: string },
  ): Promise<{ symbol: string; open: boolean }> {
    const recent = recentOrders.lookup(orderId);
    if (recent && recent.userId === principal.userId) return { symbol: recent.symbol, open: true };
    try {
      const stored = await queries.getOrder(principal.userId, orderId);
      if (stored) return { symbol: stored.symbol, open: OPEN.has(stored.status) };
      const row = reserved ?? (await clientOrders.findByOrderId(principal.userId, orderId));
      if (row) return { symbol: row.symbol, open: true };
    } catch {
      throw unavailable('orders cannot be looked up right now');
    }
    throw new ApiError('NOT_FOUND', `no order ${orderId}`);
  }

  async function cancel(
    principal: Principal,
    orderId: string,
    clientOrderId?: string,
    reserved?: { symbol: string },
  ): Promise<CancelAck> {
    const { symbol, open } = await ownedOrder(principal, orderId, reserved);
    if (!open) throw new ApiError('ORDER_NOT_OPEN', `order ${orderId} is no longer open`, {}, orderId);
    const command: CancelOrderCommand = {
      commandId: `cancel:${ids.next()}`,
      code: 'CANCEL_ORDER',
      issuedAt: issuedAt(),
      payload: { orderId, userId: principal.userId, symbol },
    };
    const shardId = await send(command);
    const ack: CancelAck = { orderId, symbol, shardId, status: 'cancel_requested' };
    if (clientOrderId !== undefined) ack.clientOrderId = clientOrderId;
    return ack;
  }

  async function cancelByClientOrderId(principal: Principal, clientOrderId: string): Promise<CancelAck> {
    let found;
    try {
      found = await clientOrders.find(principal.userId, clientOrderId);
    } catch {
      throw unavailable('orders cannot be looked up right now');
    }
    if (!found) throw new ApiError('NOT_FOUND', `no order with clientOrderId ${clientOrderId}`);
    return cancel(principal, found.orderId, clientOrderId, found);
  }

  /** Cancels all of the caller's open orders on `symbol`, in one step on the shard. */
  async function cancelAll(principal: Principal, symbol: string): Promise<CancelAck> {
    const entry = catalog.lookup(symbol);
    if (!entry) throw new ApiError('UNKNOWN_SYMBOL', `no instrument ${symbol} is traded here`);
    const command: CancelAllOrdersCommand = {
      commandId: `cancel-all:${ids.next()}`,
      code: 'CANCEL_ALL_ORDERS',
      issuedAt: issuedAt(),
      payload: { userId: principal.userId, symbol: entry.instrument.symbol },
    };
    const shardId = await send(command);
    return { symbol: entry.instrument.symbol, shardId, status: 'cancel_requested' };
  }

  return { place, placeBatch, cancel, cancelByClientOrderId, cancelAll };
}

export type OrderService = ReturnType<typeof createOrderService>;

function errorName(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}
