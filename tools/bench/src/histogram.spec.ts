import { LatencyHistogram } from './histogram';

describe('latency histogram', () => {
  it('reports percentiles in ms from values recorded in ms, to three significant digits', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1_000; i++) h.record(i); // 1..1000 ms
    const s = h.summary();
    expect(s.count).toBe(1_000);
    expect(s.p50Ms).toBeCloseTo(500, -0.5);
    expect(s.p90Ms).toBeCloseTo(900, -0.5);
    expect(s.p99Ms).toBeCloseTo(990, -0.5);
    expect(s.maxMs).toBeCloseTo(1_000, -0.5);
    expect(s.meanMs).toBeCloseTo(500.5, -0.5);
  });

  it('keeps sub-millisecond values', () => {
    const h = new LatencyHistogram();
    h.record(0.25);
    expect(h.summary().p50Ms).toBeCloseTo(0.25, 2);
  });

  it('records a negative latency as 0 and counts it, and ignores what is not a number', () => {
    const h = new LatencyHistogram();
    h.record(-3);
    h.record(Number.NaN);
    expect(h.count).toBe(1);
    expect(h.negative).toBe(1);
    expect(h.summary().maxMs).toBe(0);
  });

  it('adds the values a stall kept from being sent when told the expected interval', () => {
    const h = new LatencyHistogram();
    h.record(100, 10); // one answer after 100 ms where one was due every 10 ms: 100, 90, 80, … 10
    expect(h.count).toBe(10);
    expect(h.summary().p50Ms).toBeCloseTo(50, -0.5);
  });

  it('clamps beyond ten minutes instead of throwing', () => {
    const h = new LatencyHistogram();
    h.record(3_600_000);
    expect(h.summary().maxMs).toBeCloseTo(600_000, -3);
  });

  it('is all zeros when empty, and empty again after reset', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 });
    h.record(5);
    h.reset();
    expect(h.summary().count).toBe(0);
  });
});
