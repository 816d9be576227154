import { MarketDataError } from './errors';
import { addDecimal, type OrderOutcome, OrderTracker } from './order-tracker';
import { ShardEvents } from './testing';

const P0 = 'out#0';
const P1 = 'out#1';

/** Resolution state of a promise, without waiting for it. */
function probe<T>(p: Promise<T>): { settled: boolean; value: T | undefined } {
  const s = { settled: false, value: undefined as T | undefined };
  void p.then((v) => {
    s.settled = true;
    s.value = v;
  });
  return s;
}
const tick = () => new Promise((r) => setImmediate(r));

describe('OrderTracker', () => {
  let ev: ShardEvents;
  let tracker: OrderTracker;
  beforeEach(() => {
    ev = new ShardEvents('shard-1');
    tracker = new OrderTracker({ maxPendingWaiters: 3 });
  });

  it('resolves a rejection at once with reason, detail and message', async () => {
    const wait = tracker.wait('o1', 5_000);
    tracker.onEvent(P0, ev.rejected('o1', 'INVALID_PRICE', { detail: 'MONEY_ERR_OFF_TICK', message: 'off tick' }));
    await expect(wait).resolves.toEqual<OrderOutcome>({
      orderId: 'o1',
      shardId: 'shard-1',
      accepted: false,
      status: 'REJECTED',
      rejection: { reason: 'INVALID_PRICE', detail: 'MONEY_ERR_OFF_TICK', message: 'off tick' },
      filledQuantity: '0',
      fills: [],
      complete: true,
      seq: 1,
    });
    expect(tracker.pending).toBe(0);
  });

  it('collects the taker’s fills and resolves on its ORDER_FILLED, ignoring the makers’ events', async () => {
    const wait = tracker.wait('o1', 5_000);
    const cmd = 'place:o1';
    tracker.onEvent(P0, ev.accepted({ orderId: 'o1', quantity: '1.500' }));
    tracker.onEvent(P0, ev.trade({ takerOrderId: 'o1', makerOrderId: 'm1', price: '100.00', quantity: '0.5' }));
    tracker.onEvent(P0, ev.filled('m1', '0.5', cmd, 'u2'));
    tracker.onEvent(P0, ev.trade({ takerOrderId: 'o1', makerOrderId: 'm2', price: '101.00', quantity: '1.000' }));
    tracker.onEvent(P0, ev.updated('m2', '1.000', '2.000', cmd, 'u3'));
    const p = probe(wait);
    await tick();
    expect(p.settled).toBe(false);
    tracker.onEvent(P0, ev.filled('o1', '1.500', cmd));
    const outcome = await wait;
    expect(outcome).toMatchObject({
      accepted: true,
      status: 'FILLED',
      filledQuantity: '1.500',
      complete: true,
      seq: 6,
      fills: [
        { tradeId: 'shard-1-2', price: '100.00', quantity: '0.5', liquidity: 'TAKER' },
        { tradeId: 'shard-1-4', price: '101.00', quantity: '1.000', liquidity: 'TAKER' },
      ],
    });
    expect(outcome?.order).toMatchObject({ orderId: 'o1', symbol: 'BTC-USDT', quantity: '1.500' });
  });

  it('resolves a resting order (NEW) when the next event on its partition belongs to another command', async () => {
    const wait = probe(tracker.wait('o1', 5_000));
    tracker.onEvent(P0, ev.accepted({ orderId: 'o1' }));
    tracker.onEvent(P1, ev.accepted({ orderId: 'x' })); // another partition says nothing about o1's command
    await tick();
    expect(wait.settled).toBe(false);
    tracker.onEvent(P0, ev.depth('BTC-USDT', [])); // no command at all: o1's command is over
    await tick();
    expect(wait.value).toMatchObject({ status: 'NEW', accepted: true, filledQuantity: '0', fills: [], complete: true });
  });

  it('resolves a resting order at the end of a batch that reached the high watermark, not of one cut short', async () => {
    const wait = probe(tracker.wait('o1', 5_000));
    tracker.onEvent(P0, ev.accepted({ orderId: 'o1' }));
    tracker.onBatchEnd(P0, false);
    tracker.onBatchEnd(P1, true);
    await tick();
    expect(wait.settled).toBe(false);
    // The rest of the command arrives in the next batch: a trade, then the rest booked as PARTIALLY_FILLED.
    tracker.onEvent(P0, ev.trade({ takerOrderId: 'o1', makerOrderId: 'm1', quantity: '0.4' }));
    tracker.onBatchEnd(P0, false);
    await tick();
    expect(wait.settled).toBe(false);
    tracker.onEvent(P0, ev.updated('o1', '0.4', '0.6', 'place:o1'));
    await tick();
    expect(wait.value).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: '0.4', complete: true });
    expect(wait.value?.fills).toHaveLength(1);

    // Fills without the taker's closing event: more is coming, whatever the batch says.
    const traded = probe(tracker.wait('o3', 5_000));
    tracker.onEvent(P0, ev.accepted({ orderId: 'o3' }));
    tracker.onEvent(P0, ev.trade({ takerOrderId: 'o3', makerOrderId: 'm1', quantity: '0.4' }));
    tracker.onBatchEnd(P0, true);
    await tick();
    expect(traded.settled).toBe(false);
    tracker.onEvent(P0, ev.filled('o3', '1.000', 'place:o3'));
    await tick();
    expect(traded.value).toMatchObject({ status: 'FILLED', complete: true });

    const rest = probe(tracker.wait('o2', 5_000));
    tracker.onEvent(P0, ev.accepted({ orderId: 'o2' }));
    tracker.onBatchEnd(P0, true);
    await tick();
    expect(rest.value).toMatchObject({ status: 'NEW', complete: true });

    // An IOC that traded nothing cannot rest: its ORDER_EXPIRED follows even when the batch ends between the two.
    const ioc = probe(tracker.wait('o4', 5_000));
    tracker.onEvent(P0, ev.accepted({ orderId: 'o4', timeInForce: 'IOC' }));
    tracker.onBatchEnd(P0, true);
    await tick();
    expect(ioc.settled).toBe(false);
    tracker.onEvent(P0, ev.expired('o4', '0', '1.000', 'IOC', 'place:o4'));
    await tick();
    expect(ioc.value).toMatchObject({ status: 'EXPIRED', complete: true });
  });

  it('reports IOC/FOK/market expiry and self-trade cancel with their reason and quantity', async () => {
    const ioc = tracker.wait('o1', 5_000);
    tracker.onEvent(P0, ev.accepted({ orderId: 'o1' }));
    tracker.onEvent(P0, ev.trade({ takerOrderId: 'o1', makerOrderId: 'm', quantity: '0.25' }));
    tracker.onEvent(P0, ev.expired('o1', '0.25', '0.75', 'IOC', 'place:o1'));
    await expect(ioc).resolves.toMatchObject({
      status: 'EXPIRED',
      filledQuantity: '0.25',
      closed: { reason: 'IOC', quantity: '0.75' },
      complete: true,
    });
    const stp = tracker.wait('o2', 5_000);
    tracker.onEvent(P0, ev.accepted({ orderId: 'o2' }));
    tracker.onEvent(P0, ev.canceled('o2', '0', '1.000', 'SELF_TRADE_PREVENTION', 'place:o2'));
    await expect(stp).resolves.toMatchObject({
      status: 'CANCELED',
      closed: { reason: 'SELF_TRADE_PREVENTION', quantity: '1.000' },
    });
  });

  it('times out with undefined when nothing was seen, or with the partial outcome marked incomplete', async () => {
    jest.useFakeTimers();
    try {
      const nothing = tracker.wait('o1', 1_000);
      const partial = tracker.wait('o2', 1_000);
      tracker.onEvent(P0, ev.accepted({ orderId: 'o2' }));
      tracker.onEvent(P0, ev.trade({ takerOrderId: 'o2', makerOrderId: 'm', quantity: '0.5' }));
      tracker.onEvent(P0, ev.trade({ takerOrderId: 'o2', makerOrderId: 'm', quantity: '0.25' }));
      jest.advanceTimersByTime(999);
      expect(tracker.pending).toBe(2);
      jest.advanceTimersByTime(1);
      await expect(nothing).resolves.toBeUndefined();
      await expect(partial).resolves.toMatchObject({
        status: 'PARTIALLY_FILLED',
        filledQuantity: '0.75', // summed from the trades: the taker's closing event did not come
        complete: false,
      });
      expect(tracker.pending).toBe(0);
      // The rest of o2's command arriving later changes nothing and leaks nothing.
      tracker.onEvent(P0, ev.filled('o2', '1.000', 'place:o2'));
      tracker.onBatchEnd(P0, true);
      expect(tracker.pending).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('caps the pending waiters (retriable, synchronous) and frees a slot when one ends', async () => {
    const waits = [tracker.wait('a', 5_000), tracker.wait('b', 5_000), tracker.wait('c', 5_000)];
    let error: unknown;
    try {
      void tracker.wait('d', 5_000);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MarketDataError);
    expect(error).toMatchObject({ code: 'MD_ERR_TOO_MANY_WAITERS', retriable: true });
    tracker.onEvent(P0, ev.rejected('a', 'UNKNOWN_SYMBOL'));
    await waits[0];
    const d = tracker.wait('d', 5_000);
    tracker.releaseAll();
    await expect(Promise.all([waits[1], waits[2], d])).resolves.toEqual([undefined, undefined, undefined]);
    expect(tracker.pending).toBe(0);
  });

  it('refuses an empty order id and a timeout that is not > 0', () => {
    expect(() => tracker.wait('', 1_000)).toThrow(expect.objectContaining({ code: 'MD_ERR_INVALID_ARGUMENT' }));
    expect(() => tracker.wait('o', 0)).toThrow(expect.objectContaining({ code: 'MD_ERR_INVALID_ARGUMENT' }));
    expect(() => tracker.wait('o', Number.NaN)).toThrow(expect.objectContaining({ code: 'MD_ERR_INVALID_ARGUMENT' }));
  });

  it('gives every waiter of one order the outcome, and an aborted one what it had', async () => {
    const controller = new AbortController();
    const first = tracker.wait('o1', 5_000);
    const aborted = tracker.wait('o1', 5_000, { signal: controller.signal });
    tracker.onEvent(P0, ev.accepted({ orderId: 'o1' }));
    controller.abort();
    await expect(aborted).resolves.toMatchObject({ status: 'NEW', complete: false });
    expect(tracker.pending).toBe(1);
    tracker.onEvent(P0, ev.filled('o1', '1.000', 'place:o1'));
    await expect(first).resolves.toMatchObject({ status: 'FILLED', complete: true });
    await expect(tracker.wait('o9', 5_000, { signal: AbortSignal.abort() })).resolves.toBeUndefined();
    expect(tracker.pending).toBe(0);
  });
});

describe('addDecimal', () => {
  it.each([
    ['0', '0.5', '0.5'],
    ['0.5', '0.25', '0.75'],
    ['1.000', '2.5', '3.500'],
    ['999.99', '0.01', '1000.00'],
    ['12', '3', '15'],
    ['0.001', '0.009', '0.010'],
  ])('%s + %s = %s', (a, b, sum) => expect(addDecimal(a, b)).toBe(sum));
});
