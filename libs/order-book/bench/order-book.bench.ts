/**
 * Order-book throughput and latency, against nodejs-order-book (fasenderos) as the peer, in the same process on
 * the same operation stream.
 *
 *   npx nx run order-book:bench                    # 1,000,000 operations per case
 *   BENCH_OPS=200000 npx nx run order-book:bench   # quicker
 *
 * The stream is deterministic (seeded): 60% limit orders near the touch (about a fifth of them crossing),
 * 30% cancels of recently placed orders, 10% market or IOC orders; unique command ids, issuedAt 1 ms apart (so
 * the de-duplication memory holds its steady 60,000 commands). Our engine receives the wire commands (decimal
 * strings, parsed and validated inside, events with decimal strings out); the peer receives numbers.
 * Throughput times only the applying of operations, in chunks of 50,000 (commands are built between chunks);
 * latency percentiles come from a separate run timing each operation.
 * The last line printed is one JSON object with the headline figures.
 */
import os from 'node:os';
import type { Command, InstrumentSpec } from '@shardex/contracts';
import { OrderBook as PeerBook, Side as PeerSide } from 'nodejs-order-book';
import { OrderBook } from '../src';

const OPS = Number(process.env['BENCH_OPS'] ?? 1_000_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SEED = 0x5eed;

/** `n` numbers the operations of a stream: commands take unique ids and one issuedAt millisecond each from it. */
type Op = { n: number } & (
  | { k: 'limit'; sym: number; id: string; user: string; buy: boolean; price: number; qty: number; ioc: boolean }
  | { k: 'market'; sym: number; id: string; user: string; buy: boolean; qty: number }
  | { k: 'cancel'; sym: number; id: string; user: string }
);

/** mulberry32: tiny, seeded, good enough to shape a workload. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The operation stream, produced in chunks so that only one chunk of commands is alive at a time: a real engine
 * consumes a stream and drops each command after applying it, and a million pre-built commands in the old
 * generation would make every major GC of the run mark them all.
 */
class Workload {
  private readonly r: () => number;
  private readonly mids: number[];
  private readonly recent: Array<Array<{ id: string; user: string }>>;
  private i = 0;
  constructor(
    private readonly symbols: number,
    seed: number,
  ) {
    this.r = rng(seed);
    this.mids = Array.from({ length: symbols }, () => 10_000);
    this.recent = Array.from({ length: symbols }, () => []);
  }

  next(count: number): Op[] {
    const { r, mids, recent } = this;
    const ops: Op[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const i = this.i++;
      const sym = Math.floor(r() * this.symbols);
      const user = `u${Math.floor(r() * 50)}`;
      const x = r();
      // The mid drifts, so levels come and go as in a live market.
      if (r() < 0.01) mids[sym] = (mids[sym] as number) + (r() < 0.5 ? -1 : 1);
      const mid = mids[sym] as number;
      const pool = recent[sym] as Array<{ id: string; user: string }>;
      if (x < 0.6 || (x < 0.9 && pool.length === 0)) {
        const buy = r() < 0.5;
        // Passive within 20 ticks of the mid; one in five reaches up to 3 ticks through it.
        const offset = r() < 0.2 ? -Math.floor(r() * 4) : 1 + Math.floor(r() * 20);
        const price = buy ? mid - offset : mid + offset;
        const id = `o${i}`;
        ops[k] = { n: i, k: 'limit', sym, id, user, buy, price, qty: 1 + Math.floor(r() * 10), ioc: false };
        pool.push({ id, user });
        if (pool.length > 4000) pool.splice(0, 2000);
      } else if (x < 0.9) {
        // Cancels favour recent orders, as market makers re-quote.
        const at = pool.length - 1 - Math.floor(Math.pow(r(), 2) * pool.length);
        const [target] = pool.splice(at, 1) as [{ id: string; user: string }];
        ops[k] = { n: i, k: 'cancel', sym, id: target.id, user: target.user };
      } else if (r() < 0.5) {
        ops[k] = { n: i, k: 'market', sym, id: `o${i}`, user, buy: r() < 0.5, qty: 1 + Math.floor(r() * 10) };
      } else {
        const buy = r() < 0.5;
        ops[k] = {
          n: i,
          k: 'limit',
          sym,
          id: `o${i}`,
          user,
          buy,
          price: buy ? mid + 2 : mid - 2,
          qty: 1 + Math.floor(r() * 10),
          ioc: true,
        };
      }
    }
    return ops;
  }
}

const symbolName = (i: number) => `S${i}`;
const instrument = (symbol: string): InstrumentSpec => ({
  symbol,
  base: 'B',
  quote: 'Q',
  priceScale: 2,
  quantityScale: 4,
  tickSize: '0.01',
  lotSize: '0.0001',
  minQty: '0.0001',
  maxQty: '1000000',
  marketPriceBandBps: 1000,
  selfTradePrevention: 'NONE',
  // The stream's 50 users keep ~1,300 orders each on one symbol: above the default cap, which would turn the
  // workload into rejections.
  maxOpenOrdersPerUser: 1_000_000,
});

/** Prices as the wire carries them: 10000 ticks of 0.01 → "100.00". */
const priceText = (ticks: number) => `${Math.floor(ticks / 100)}.${String(ticks % 100).padStart(2, '0')}`;

/**
 * Commands one millisecond apart: the engine's de-duplication memory then holds a steady 60,000 commands (its
 * default window) and forgets one for each it learns, as it does in a long run at any constant rate.
 */
const T0 = 1_763_700_000_000;

function toCommands(ops: Op[]): Command[] {
  return ops.map((op): Command => {
    const symbol = symbolName(op.sym);
    const i = op.n;
    if (op.k === 'cancel')
      return {
        commandId: `c${i}`,
        code: 'CANCEL_ORDER',
        issuedAt: T0 + i,
        payload: { orderId: op.id, userId: op.user, symbol },
      };
    return {
      commandId: `c${i}`,
      code: 'PLACE_ORDER',
      issuedAt: T0 + i,
      payload:
        op.k === 'limit'
          ? {
              orderId: op.id,
              userId: op.user,
              symbol,
              side: op.buy ? 'BUY' : 'SELL',
              type: 'LIMIT',
              timeInForce: op.ioc ? 'IOC' : 'GTC',
              price: priceText(op.price),
              quantity: String(op.qty),
            }
          : {
              orderId: op.id,
              userId: op.user,
              symbol,
              side: op.buy ? 'BUY' : 'SELL',
              type: 'MARKET',
              timeInForce: 'IOC',
              quantity: String(op.qty),
            },
    };
  });
}

interface Engine {
  name: string;
  /** Sets up a fresh engine; `load` converts a chunk of ops to the engine's input (outside the timing). */
  start(symbols: number): { load(ops: Op[]): (i: number) => unknown };
}

const ours: Engine = {
  name: 'shardex',
  start(symbols) {
    const book = new OrderBook({ shardId: 'bench' });
    const instruments = Array.from({ length: symbols }, (_, s) => instrument(symbolName(s)));
    book.apply({ commandId: 'init', code: 'INITIALIZE_ENGINE', issuedAt: 0, payload: { instruments } });
    book.apply({ commandId: 'start', code: 'START_ENGINE', issuedAt: 0, payload: {} });
    return {
      load(ops) {
        const commands = toCommands(ops);
        return (i) => book.apply(commands[i] as Command);
      },
    };
  },
};

const peer: Engine = {
  name: 'nodejs-order-book',
  start(symbols) {
    const books = Array.from({ length: symbols }, () => new PeerBook());
    return {
      load(ops) {
        // The peer takes numbers: sizes and prices in the units our engine counts (lots, ticks).
        const args = ops.map((op) =>
          op.k === 'cancel'
            ? op.id
            : op.k === 'limit'
              ? {
                  side: op.buy ? PeerSide.BUY : PeerSide.SELL,
                  id: op.id,
                  size: op.qty,
                  price: op.price,
                  timeInForce: op.ioc ? 'IOC' : 'GTC',
                }
              : { side: op.buy ? PeerSide.BUY : PeerSide.SELL, size: op.qty },
        );
        return (i) => {
          const op = ops[i] as Op;
          const book = books[op.sym] as PeerBook;
          const a = args[i];
          if (op.k === 'cancel') return book.cancel(a as string);
          if (op.k === 'limit') return book.limit(a as Parameters<PeerBook['limit']>[0]);
          return book.market(a as Parameters<PeerBook['market']>[0]);
        };
      },
    };
  },
};

// Operations are built in chunks, then a full GC moves them out of the young generation before the timed part, so
// the timing (GC included) covers the engine's own allocations, not the harness's.
const CHUNK = 50_000;

/** Applies `total` operations; returns ops/s over the applying only, and optionally per-operation latencies. */
function measure(engine: Engine, total: number, symbols: number, seed: number, samples?: Float64Array): number {
  const workload = new Workload(symbols, seed);
  const runner = engine.start(symbols);
  globalThis.gc?.();
  let ns = 0;
  for (let done = 0; done < total; done += CHUNK) {
    const n = Math.min(CHUNK, total - done);
    const ops = workload.next(n);
    const step = runner.load(ops);
    globalThis.gc?.();
    if (samples) {
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        step(i);
        samples[done + i] = Number(process.hrtime.bigint() - t0);
      }
    } else {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) step(i);
      ns += Number(process.hrtime.bigint() - t0);
    }
  }
  return total / (ns / 1e9);
}

function latency(
  engine: Engine,
  total: number,
  symbols: number,
  seed: number,
): { p50: number; p99: number; p999: number } {
  const samples = new Float64Array(total);
  measure(engine, total, symbols, seed, samples);
  samples.sort();
  const at = (q: number) => (samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number) / 1000;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function runCase(symbols: number) {
  const seed = SEED + symbols;
  measure(ours, Math.min(OPS, 200_000), symbols, seed + 1000);
  measure(peer, Math.min(OPS, 200_000), symbols, seed + 1000);
  const mine: number[] = [];
  const theirs: number[] = [];
  // Alternate the engines so drift in machine load hits both alike.
  for (let r = 0; r < ROUNDS; r++) {
    mine.push(measure(ours, OPS, symbols, seed));
    theirs.push(measure(peer, OPS, symbols, seed));
  }
  const mix: Record<string, number> = {};
  const sample = new Workload(symbols, seed).next(Math.min(OPS, 100_000));
  for (const op of sample) {
    const kind = op.k === 'limit' && op.ioc ? 'ioc' : op.k;
    mix[kind] = (mix[kind] ?? 0) + 1 / sample.length;
  }
  return {
    symbols,
    opsPerSec: median(mine),
    peerOpsPerSec: median(theirs),
    latency: latency(ours, OPS, symbols, seed),
    peerLatency: latency(peer, OPS, symbols, seed),
    mix: Object.fromEntries(Object.entries(mix).map(([k, v]) => [k, `${Math.round(v * 100)}%`])),
  };
}

const cases = [runCase(1), runCase(100)];
console.log(
  `order-book benchmark: ${fmt(OPS)} operations per case, median of ${ROUNDS} rounds, node ${process.version}, ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cores)`,
);
console.log('');
console.log('symbols  engine              ops/s        p50 µs   p99 µs   p99.9 µs');
for (const c of cases) {
  const row = (name: string, ops: number, l: { p50: number; p99: number; p999: number }) =>
    console.log(
      `${String(c.symbols).padStart(7)}  ${name.padEnd(18)} ${fmt(ops).padStart(11)}   ${l.p50.toFixed(2).padStart(6)}   ${l.p99.toFixed(2).padStart(6)}   ${l.p999.toFixed(2).padStart(8)}`,
    );
  row('shardex', c.opsPerSec, c.latency);
  row('nodejs-order-book', c.peerOpsPerSec, c.peerLatency);
  console.log(
    `         ratio              ${(c.opsPerSec / c.peerOpsPerSec).toFixed(2)}x    mix ${JSON.stringify(c.mix)}`,
  );
}
const [one, hundred] = cases as [ReturnType<typeof runCase>, ReturnType<typeof runCase>];
console.log('');
console.log(
  JSON.stringify({
    opsPerSec: Math.round(one.opsPerSec),
    peerOpsPerSec: Math.round(one.peerOpsPerSec),
    ratio: Number((one.opsPerSec / one.peerOpsPerSec).toFixed(2)),
    p50Micros: Number(one.latency.p50.toFixed(2)),
    p99Micros: Number(one.latency.p99.toFixed(2)),
    p999Micros: Number(one.latency.p999.toFixed(2)),
    symbols100: {
      opsPerSec: Math.round(hundred.opsPerSec),
      peerOpsPerSec: Math.round(hundred.peerOpsPerSec),
      ratio: Number((hundred.opsPerSec / hundred.peerOpsPerSec).toFixed(2)),
      p99Micros: Number(hundred.latency.p99.toFixed(2)),
    },
    operations: OPS,
  }),
);
