import { createAcceptedOrdersWindow } from './accepted-orders';

describe('accepted orders window', () => {
  const T0 = 1_700_000_000_000;

  it('averages accepted orders over the window of whole seconds before the current one', () => {
    let now = T0;
    const w = createAcceptedOrdersWindow({ windowSeconds: 10, now: () => now });
    w.record(1, 5);
    w.record(20, 7); // a batch of 20
    // The current second is still filling: not counted yet.
    expect(w.view()).toEqual({ acceptedPerSecond: 0, p99LatencyMs: null, samples: 0, windowSeconds: 10 });
    now += 1_000;
    expect(w.view()).toMatchObject({ acceptedPerSecond: 2.1, samples: 2, p99LatencyMs: 7 });
    now += 10_000; // the second of those orders is now 11 s old: out of the 10 s window
    expect(w.view()).toMatchObject({ acceptedPerSecond: 0, samples: 0, p99LatencyMs: null });
  });

  it('takes the nearest-rank 99th percentile of the requests in the window', () => {
    let now = T0;
    const w = createAcceptedOrdersWindow({ windowSeconds: 60, now: () => now });
    for (let i = 1; i <= 200; i++) w.record(1, i); // 1..200 ms
    now += 1_000;
    // rank ceil(0.99 × 200) = 198
    expect(w.view()).toMatchObject({ p99LatencyMs: 198, samples: 200, acceptedPerSecond: 3.3 });
  });

  it('keeps a bounded sample per second: later requests replace a slot the random pick chose', () => {
    let now = T0;
    const picks = [0.1, 0.9];
    const w = createAcceptedOrdersWindow({ samplesPerSecond: 2, now: () => now, random: () => picks.shift() ?? 0.99 });
    w.record(1, 10);
    w.record(1, 20);
    w.record(1, 500); // slot floor(0.1 × 3) = 0 → replaces 10
    w.record(1, 900); // slot floor(0.9 × 4) = 3 ≥ 2 → dropped
    now += 1_000;
    expect(w.view()).toMatchObject({ samples: 2, p99LatencyMs: 500, acceptedPerSecond: 0.1 });
  });
});
