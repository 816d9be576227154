/**
 * The open-loop schedule of a fixed-rate run. Request i is *intended* at `startMs + i × 1000 / rate`, whatever
 * happened to the requests before it; its latency is measured from that intended time, not from when it actually
 * left. A server that stalls for a second therefore shows a second of latency on every request the schedule wanted
 * to send during the stall — the requests a closed loop would silently not have sent ("coordinated omission", Gil
 * Tene). Times are milliseconds on one monotonic clock (performance.now()).
 */
export interface FixedRateSchedule {
  readonly rate: number;
  readonly startMs: number;
  /** When request `i` (0-based) is due. */
  intendedAt(i: number): number;
  /** How many requests are due by `nowMs` (those with intendedAt ≤ nowMs), capped at `limit`. */
  dueBy(nowMs: number, limit?: number): number;
}

export function fixedRateSchedule(rate: number, startMs: number): FixedRateSchedule {
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`rate must be a positive number, got ${rate}`);
  const interval = 1000 / rate;
  return {
    rate,
    startMs,
    intendedAt: (i) => startMs + i * interval,
    dueBy(nowMs, limit = Infinity) {
      if (nowMs < startMs) return 0;
      return Math.min(limit, Math.floor((nowMs - startMs) / interval) + 1);
    },
  };
}

/**
 * Latency of a request as the schedule sees it: from its intended send time when there is a schedule (corrected
 * for coordinated omission), else from the moment it was sent (a closed loop, where the next request waits for this
 * answer and latency is the service time plus the queue the loop itself keeps).
 */
export function requestLatencyMs(answeredAt: number, sentAt: number, intendedAt?: number): number {
  return answeredAt - (intendedAt ?? sentAt);
}
