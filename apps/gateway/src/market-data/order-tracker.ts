import type {
  CancelReason,
  ContractErrorCode,
  EngineEvent,
  ExpireReason,
  OrderAcceptedPayload,
  RejectReason,
} from '@shardex/contracts';
import { MarketDataError } from './errors';

/**
 * Waiters for the outcome of the gateway's own PLACE_ORDER commands (commandId `place:<orderId>`), read from the
 * shard's events.
 *
 * When is an outcome complete? The engine emits all events of one command together and contiguously, in this order:
 * ORDER_REJECTED alone; or ORDER_ACCEPTED, then per fill a TRADE and the maker's ORDER_FILLED/ORDER_UPDATED (and
 * ORDER_CANCELED for makers removed by self-trade prevention), then at most one closing event of the taker itself:
 * ORDER_FILLED, ORDER_CANCELED (self-trade prevention), ORDER_EXPIRED (IOC, FOK, market) or ORDER_UPDATED
 * (PARTIALLY_FILLED: the rest went on the book). So:
 *   1. ORDER_REJECTED, or a closing event of the taker, completes it at once;
 *   2. an order that traded always gets such a closing event, so fills without one mean "more to come";
 *   3. otherwise (accepted, nothing traded: it rests untouched, status NEW) it completes when the next event on the
 *      same partition belongs to another command (or to none: DEPTH), or when the partition's batch ends at the high
 *      watermark — everything written so far was read, and the engine writes a command's events together. A batch
 *      that ends below the high watermark (a fetch cut short by its byte limit) does not complete it.
 * All events of a place command carry its symbol, so they share a partition (events are keyed by symbol).
 *
 * The promise never rejects: on timeout (or stop, or abort) it resolves with what was seen so far, marked
 * `complete: false`, or with undefined when nothing was.
 */

export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';

export interface OrderFill {
  tradeId: string;
  price: string;
  quantity: string;
  liquidity: 'TAKER' | 'MAKER';
}

export interface OrderOutcome {
  orderId: string;
  shardId: string;
  accepted: boolean;
  status: OrderStatus;
  /** Set when the shard refused the order. */
  rejection?: { reason: RejectReason; detail?: ContractErrorCode; message: string };
  /** The order as the shard accepted it (absent when rejected). */
  order?: OrderAcceptedPayload;
  /** Decimal string; "0" until something traded. */
  filledQuantity: string;
  /** Fills of the place command, in trade order. */
  fills: OrderFill[];
  /** CANCELED or EXPIRED: why the rest left, and how much. */
  closed?: { reason: CancelReason | ExpireReason; quantity: string };
  /** false: the wait ended (timeout, stop, abort) before the command's last event was seen; more may follow. */
  complete: boolean;
  /** Shard seq of the last event taken into account. */
  seq: number;
}

export interface OrderTrackerOptions {
  /** Most waiters pending at once (all orders). Default 10,000. */
  maxPendingWaiters?: number;
}

export interface WaitOptions {
  /** Aborting resolves the wait with what was seen so far (frees its slot: e.g. the produce failed). */
  signal?: AbortSignal;
}

interface Waiter {
  resolve(outcome: OrderOutcome | undefined): void;
  timer: ReturnType<typeof setTimeout>;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Tracked {
  orderId: string;
  commandId: string;
  waiters: Set<Waiter>;
  outcome: OrderOutcome | undefined;
  /** Where its events were seen (topic/partition), once one was. */
  partition: string | undefined;
}

/** Exact decimal sum of two non-negative decimal strings (a fallback until the taker's closing event says it). */
export function addDecimal(a: string, b: string): string {
  const [ai = '0', af = ''] = a.split('.');
  const [bi = '0', bf = ''] = b.split('.');
  const scale = Math.max(af.length, bf.length);
  const sum = BigInt(ai + af.padEnd(scale, '0')) + BigInt(bi + bf.padEnd(scale, '0'));
  if (scale === 0) return sum.toString();
  const digits = sum.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const PLACE_PREFIX = 'place:';

export class OrderTracker {
  private readonly byCommand = new Map<string, Tracked>();
  /** Per partition: the tracked command whose events were seen last there and that is not complete yet. */
  private readonly openOn = new Map<string, Tracked>();
  private pendingWaiters = 0;
  private readonly maxPendingWaiters: number;

  constructor({ maxPendingWaiters = 10_000 }: OrderTrackerOptions = {}) {
    this.maxPendingWaiters = maxPendingWaiters;
  }

  /** Waiters pending now. */
  get pending(): number {
    return this.pendingWaiters;
  }

  /**
   * Registers a waiter synchronously (call it before producing the order: its events may arrive before the produce
   * is acknowledged). Throws MD_ERR_TOO_MANY_WAITERS (retriable) at the cap, and MD_ERR_INVALID_ARGUMENT.
   */
  wait(orderId: string, timeoutMs: number, { signal }: WaitOptions = {}): Promise<OrderOutcome | undefined> {
    if (typeof orderId !== 'string' || orderId.length === 0)
      throw new MarketDataError('MD_ERR_INVALID_ARGUMENT', 'orderId must be a non-empty string');
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2_147_483_647)
      throw new MarketDataError('MD_ERR_INVALID_ARGUMENT', `timeoutMs must be > 0 ms, got ${timeoutMs}`);
    if (this.pendingWaiters >= this.maxPendingWaiters)
      throw new MarketDataError(
        'MD_ERR_TOO_MANY_WAITERS',
        `${this.pendingWaiters} order waiters are pending, the cap (maxPendingWaiters)`,
        { retriable: true },
      );
    if (signal?.aborted) return Promise.resolve(undefined);
    const commandId = PLACE_PREFIX + orderId;
    let tracked = this.byCommand.get(commandId);
    if (!tracked) {
      tracked = { orderId, commandId, waiters: new Set(), outcome: undefined, partition: undefined };
      this.byCommand.set(commandId, tracked);
    }
    const t = tracked;
    return new Promise((resolve) => {
      const end = () => this.release(t, waiter);
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(end, timeoutMs),
        signal,
        onAbort: signal ? end : undefined,
      };
      waiter.timer.unref?.();
      signal?.addEventListener('abort', end, { once: true });
      t.waiters.add(waiter);
      this.pendingWaiters++;
    });
  }

  /** Takes one (de-duplicated) event read from `partition` (any stable name of the topic-partition). */
  onEvent(partition: string, event: EngineEvent): void {
    const open = this.openOn.get(partition);
    // A command's events are contiguous: another command's event ends the open one, whatever it has seen.
    if (open && open.commandId !== event.commandId) this.complete(open);
    if (event.commandId === undefined || !event.commandId.startsWith(PLACE_PREFIX)) return;
    const tracked = this.byCommand.get(event.commandId);
    if (!tracked) return;
    const closed = this.apply(tracked, event);
    tracked.partition = partition;
    if (closed) this.complete(tracked);
    else if (tracked.outcome) this.openOn.set(partition, tracked);
  }

  /** A partition's batch was handled; `atTail`: it ended at the partition's high watermark. */
  onBatchEnd(partition: string, atTail: boolean): void {
    const open = this.openOn.get(partition);
    // With fills, the taker's closing event is still to come (rule 2), even if the producer split the command. So it
    // is for an order that cannot rest (IOC, FOK, market): its ORDER_EXPIRED always follows. Only a GTC limit order
    // that traded nothing ends with its ORDER_ACCEPTED.
    const order = open?.outcome?.order;
    const canRest = order?.type === 'LIMIT' && order.timeInForce === 'GTC';
    if (open && atTail && open.outcome?.fills.length === 0 && canRest) this.complete(open);
  }

  /** Ends every wait (the feed stops): each resolves with what it has, incomplete. */
  releaseAll(): void {
    for (const tracked of [...this.byCommand.values()]) {
      for (const waiter of [...tracked.waiters]) this.release(tracked, waiter);
    }
  }

  /** Applies an event of the order's own command; returns true when it closes the command's outcome. */
  private apply(t: Tracked, event: EngineEvent): boolean {
    const base = (): OrderOutcome =>
      t.outcome ?? {
        orderId: t.orderId,
        shardId: event.shardId,
        accepted: false,
        status: 'NEW',
        filledQuantity: '0',
        fills: [],
        complete: false,
        seq: event.seq,
      };
    switch (event.code) {
      case 'ORDER_REJECTED': {
        const p = event.payload;
        if (p.orderId !== undefined && p.orderId !== t.orderId) return false;
        t.outcome = {
          ...base(),
          accepted: false,
          status: 'REJECTED',
          rejection: { reason: p.reason, ...(p.detail !== undefined && { detail: p.detail }), message: p.message },
          seq: event.seq,
        };
        return true;
      }
      case 'ORDER_ACCEPTED': {
        if (event.payload.orderId !== t.orderId) return false;
        t.outcome = { ...base(), accepted: true, status: 'NEW', order: event.payload, seq: event.seq };
        return false;
      }
      case 'TRADE': {
        const p = event.payload;
        const liquidity = p.takerOrderId === t.orderId ? 'TAKER' : p.makerOrderId === t.orderId ? 'MAKER' : undefined;
        if (!liquidity) return false;
        const o = base();
        t.outcome = {
          ...o,
          status: 'PARTIALLY_FILLED',
          filledQuantity: addDecimal(o.filledQuantity, p.quantity),
          fills: [...o.fills, { tradeId: p.tradeId, price: p.price, quantity: p.quantity, liquidity }],
          seq: event.seq,
        };
        return false;
      }
      case 'ORDER_UPDATED':
      case 'ORDER_FILLED':
      case 'ORDER_CANCELED':
      case 'ORDER_EXPIRED': {
        const p = event.payload;
        if (p.orderId !== t.orderId) return false; // a maker's progress within our command
        const o = base();
        const status: OrderStatus =
          event.code === 'ORDER_UPDATED'
            ? 'PARTIALLY_FILLED'
            : event.code === 'ORDER_FILLED'
              ? 'FILLED'
              : event.code === 'ORDER_CANCELED'
                ? 'CANCELED'
                : 'EXPIRED';
        t.outcome = {
          ...o,
          status,
          filledQuantity: p.filledQuantity,
          seq: event.seq,
          ...(event.code === 'ORDER_CANCELED' && {
            closed: { reason: event.payload.reason, quantity: event.payload.canceledQuantity },
          }),
          ...(event.code === 'ORDER_EXPIRED' && {
            closed: { reason: event.payload.reason, quantity: event.payload.expiredQuantity },
          }),
        };
        // The taker's own ORDER_UPDATED comes only as the last event of its place command (the rest is booked).
        return true;
      }
      default:
        return false;
    }
  }

  private complete(t: Tracked): void {
    if (t.partition !== undefined && this.openOn.get(t.partition) === t) this.openOn.delete(t.partition);
    this.byCommand.delete(t.commandId);
    const outcome = t.outcome && { ...t.outcome, complete: true };
    for (const waiter of t.waiters) this.settle(waiter, outcome);
    t.waiters.clear();
  }

  /** One waiter gives up (timeout, abort, stop): it gets what was seen so far, incomplete. */
  private release(t: Tracked, waiter: Waiter): void {
    if (!t.waiters.delete(waiter)) return;
    this.settle(waiter, t.outcome && { ...t.outcome, fills: [...t.outcome.fills], complete: false });
    if (t.waiters.size === 0) {
      this.byCommand.delete(t.commandId);
      if (t.partition !== undefined && this.openOn.get(t.partition) === t) this.openOn.delete(t.partition);
    }
  }

  private settle(waiter: Waiter, outcome: OrderOutcome | undefined): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.pendingWaiters--;
    waiter.resolve(outcome);
  }
}
