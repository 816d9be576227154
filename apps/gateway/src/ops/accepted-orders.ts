/** The gateway's own order intake over a rolling window: what the console's operations view shows. */
export interface AcceptedOrdersView {
  /** Orders answered as accepted (201/202, one per order of a batch) per second over the window. */
  acceptedPerSecond: number;
  /** 99th percentile (nearest rank) of the time to answer those requests, ms; null when none in the window. */
  p99LatencyMs: number | null;
  /** Requests the percentile was taken over (a sample when a second had more than `samplesPerSecond`). */
  samples: number;
  windowSeconds: number;
}

export interface AcceptedOrdersWindow {
  /** One answered request that accepted `orders` orders, answered after `latencyMs`. */
  record(orders: number, latencyMs: number): void;
  view(): AcceptedOrdersView;
}

export interface AcceptedOrdersOptions {
  /** Whole seconds in the window; default 60. */
  windowSeconds?: number;
  /** Latencies kept per second (uniform reservoir sample beyond it); default 1,000. */
  samplesPerSecond?: number;
  now?: () => number;
  /** Picks the reservoir slot; default Math.random (tests pass a fixed sequence). */
  random?: () => number;
}

interface Second {
  orders: number;
  requests: number;
  latencies: number[];
}

/** Per-second buckets, so recording stays O(1) at thousands of orders a second; the window is read on demand. */
export function createAcceptedOrdersWindow({
  windowSeconds = 60,
  samplesPerSecond = 1_000,
  now = Date.now,
  random = Math.random,
}: AcceptedOrdersOptions = {}): AcceptedOrdersWindow {
  const seconds = new Map<number, Second>();
  const prune = (current: number) => {
    for (const k of seconds.keys()) if (k <= current - windowSeconds - 1) seconds.delete(k);
  };
  return {
    record(orders, latencyMs) {
      const second = Math.floor(now() / 1000);
      let b = seconds.get(second);
      if (!b) {
        b = { orders: 0, requests: 0, latencies: [] };
        seconds.set(second, b);
        prune(second);
      }
      b.orders += orders;
      b.requests++;
      if (b.latencies.length < samplesPerSecond) b.latencies.push(latencyMs);
      else {
        const slot = Math.floor(random() * b.requests);
        if (slot < samplesPerSecond) b.latencies[slot] = latencyMs;
      }
    },
    view() {
      // The last `windowSeconds` whole seconds; the current one is still filling and would understate the rate.
      const current = Math.floor(now() / 1000);
      prune(current);
      let orders = 0;
      const latencies: number[] = [];
      for (const [second, b] of seconds) {
        if (second >= current || second < current - windowSeconds) continue;
        orders += b.orders;
        latencies.push(...b.latencies);
      }
      latencies.sort((a, b) => a - b);
      const rank = Math.ceil(0.99 * latencies.length) - 1;
      return {
        acceptedPerSecond: Math.round((orders * 10) / windowSeconds) / 10,
        p99LatencyMs: latencies.length === 0 ? null : Math.round((latencies[rank] as number) * 10) / 10,
        samples: latencies.length,
        windowSeconds,
      };
    },
  };
}
