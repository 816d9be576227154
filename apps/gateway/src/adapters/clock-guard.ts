import type { Logger } from '@shardex/contracts';

/**
 * Orders carry the gateway's clock as their issuedAt, and a shard's notion of time is the newest issuedAt it has
 * taken: one gateway whose clock runs ahead would make every other gateway's orders STALE_COMMAND on that shard (and
 * keep it so, as shard time never goes back). So the gateway compares its clock with the database server's, a clock
 * every gateway shares, and refuses orders while they differ by more than `maxSkewMs` (or cannot be compared yet).
 */
export interface ClockGuard {
  /** Why orders must be refused now, or null. */
  refusal(): string | null;
  /** Measures once: the skew in ms (database minus local, at the middle of the round trip). */
  check(): Promise<number>;
  start(everyMs: number): void;
  stop(): void;
}

export function createClockGuard({
  referenceNow,
  now = Date.now,
  maxSkewMs = 5_000,
  logger,
}: {
  /** The reference clock, epoch ms (the database server's). */
  referenceNow: () => Promise<number>;
  now?: () => number;
  maxSkewMs?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
}): ClockGuard {
  let skew: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const guard: ClockGuard = {
    refusal() {
      if (skew === undefined) return 'the gateway has not checked its clock yet';
      if (Math.abs(skew) > maxSkewMs)
        return `the gateway's clock is ${Math.round(Math.abs(skew))} ms ${skew < 0 ? 'ahead of' : 'behind'} the database's (more than ${maxSkewMs} ms)`;
      return null;
    },
    async check() {
      const before = now();
      const reference = await referenceNow();
      const after = now();
      // Half the round trip on either side: a slow answer widens the doubt, never shifts the estimate.
      const measured = reference - (before + after) / 2;
      const wasOk = skew !== undefined && Math.abs(skew) <= maxSkewMs;
      skew = measured;
      if (Math.abs(measured) > maxSkewMs && wasOk) logger?.error({ skewMs: measured }, 'clock skew: refusing orders');
      return measured;
    },
    start(everyMs) {
      if (timer) return;
      timer = setInterval(() => {
        guard.check().catch((err: unknown) => logger?.warn({ err }, 'clock check failed'));
      }, everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return guard;
}
