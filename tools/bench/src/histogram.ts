import * as hdr from 'hdr-histogram-js';

/** Percentiles of one latency, in milliseconds (two decimals: the histogram keeps 3 significant digits of µs). */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

const HIGHEST_US = 600_000_000; // 10 minutes: anything slower is recorded as 10 minutes

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A latency histogram (HdrHistogram, microseconds, 3 significant digits, 1 µs to 10 min): `record` takes
 * milliseconds from performance.now() differences. A negative value (an event seen before the answer that
 * accepted its order, say) is recorded as 0 and counted in `negative`, so it is visible rather than silently lost.
 */
export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
  negative = 0;

  /**
   * With `expectedIntervalMs` (a closed loop paced to a rate, as autocannon's overallRate is), HdrHistogram's own
   * correction also records the values a stall kept from being sent: `ms − interval`, `ms − 2 × interval`, … An open
   * loop that measures from intended send times (schedule.ts) needs none.
   */
  record(ms: number, expectedIntervalMs = 0): void {
    if (!Number.isFinite(ms)) return;
    if (ms < 0) this.negative++;
    const us = Math.min(HIGHEST_US, Math.max(0, Math.round(ms * 1000)));
    if (expectedIntervalMs > 0) this.h.recordValueWithExpectedInterval(us, Math.round(expectedIntervalMs * 1000));
    else this.h.recordValue(us);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The value at `percentile` (0-100), ms; 0 when nothing was recorded. */
  percentileMs(percentile: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(percentile) / 1000;
  }

  summary(): LatencySummary {
    const empty = this.h.totalCount === 0;
    return {
      count: this.h.totalCount,
      p50Ms: round2(this.percentileMs(50)),
      p90Ms: round2(this.percentileMs(90)),
      p99Ms: round2(this.percentileMs(99)),
      maxMs: empty ? 0 : round2(this.h.maxValue / 1000),
      meanMs: empty ? 0 : round2(this.h.mean / 1000),
    };
  }

  reset(): void {
    this.h.reset();
    this.negative = 0;
  }
}
