import { Pool } from 'undici';
import type { LatencyHistogram } from './histogram';
import { fixedRateSchedule, requestLatencyMs } from './schedule';

/** One HTTP request of the load: a single order or a batch, for one user's API key. */
export interface LoadRequest {
  path: string;
  apiKey: string;
  body: string;
  /** Orders in the body. */
  orders: number;
}

export interface LoadOptions {
  /** The gateway, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Keep-alive connections to it. */
  connections: number;
  durationMs: number;
  /** Requests per second on an open-loop schedule (latency from each request's intended time); undefined: flat out. */
  rate?: number;
  next(): LoadRequest;
  /** Each answer as it arrives (`at`: performance.now() when its body was read). */
  onAnswer(statusCode: number, body: string, request: LoadRequest, at: number): void;
  /** HTTP accept latency of every request, ms. */
  latency: LatencyHistogram;
  signal?: AbortSignal;
  /** Open loop only: stop (and fail) rather than queue more than this many requests. Default 100,000. */
  maxInFlight?: number;
}

export interface LoadResult {
  requests: number;
  answered: number;
  /** Requests that got no HTTP answer (connection refused or reset, timeout). */
  networkErrors: number;
  /** performance.now() at the start, and when the last answer arrived. */
  startedAt: number;
  endedAt: number;
  /** Open loop: requests the schedule wanted but the run did not send (stopped by maxInFlight or the signal). */
  unsent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Drives the gateway over `connections` keep-alive connections (undici). Flat out (no `rate`): a closed loop, each
 * connection sending its next request as soon as the previous one is answered; latency is each request's own time
 * (send → answer), which hides the queue the loop keeps — throughput is the figure there. At a fixed `rate`: an open
 * loop on a schedule that does not wait for answers, and each request's latency counts from when the schedule wanted
 * it sent (coordinated-omission corrected): if the gateway stalls, every request due meanwhile shows the stall.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(o.url, { connections: o.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const result: LoadResult = {
    requests: 0,
    answered: 0,
    networkErrors: 0,
    startedAt: performance.now(),
    endedAt: 0,
    unsent: 0,
  };
  const deadline = result.startedAt + o.durationMs;
  const send = async (req: LoadRequest, intendedAt?: number) => {
    result.requests++;
    const sentAt = performance.now();
    try {
      const res = await pool.request({
        path: req.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': req.apiKey },
        body: req.body,
      });
      const text = await res.body.text();
      const at = performance.now();
      result.answered++;
      result.endedAt = at;
      o.latency.record(requestLatencyMs(at, sentAt, intendedAt));
      o.onAnswer(res.statusCode, text, req, at);
    } catch {
      result.networkErrors++;
      result.endedAt = performance.now();
    }
  };
  try {
    if (o.rate === undefined) {
      const worker = async () => {
        while (performance.now() < deadline && !o.signal?.aborted) {
          const before = result.networkErrors;
          await send(o.next());
          if (result.networkErrors > before) await sleep(10); // don't spin on a gateway that refuses connections
        }
      };
      await Promise.all(Array.from({ length: o.connections }, worker));
    } else {
      const schedule = fixedRateSchedule(o.rate, result.startedAt);
      const planned = Math.floor((o.durationMs / 1000) * o.rate);
      const maxInFlight = o.maxInFlight ?? 100_000;
      const inFlight = new Set<Promise<void>>();
      let next = 0;
      await new Promise<void>((resolve, reject) => {
        const tick = () => {
          if (o.signal?.aborted) return resolve();
          const due = schedule.dueBy(performance.now(), planned);
          while (next < due) {
            if (inFlight.size >= maxInFlight)
              return reject(
                new Error(`more than ${maxInFlight} requests in flight at ${o.rate}/s: the target is not keeping up`),
              );
            const p = send(o.next(), schedule.intendedAt(next++)).finally(() => inFlight.delete(p));
            inFlight.add(p);
          }
          if (next >= planned) resolve();
          else setTimeout(tick, 1);
        };
        tick();
      }).finally(() => (result.unsent = planned - next));
      await Promise.all(inFlight);
    }
  } finally {
    await pool.close().catch(() => undefined);
  }
  if (result.endedAt === 0) result.endedAt = performance.now();
  return result;
}
