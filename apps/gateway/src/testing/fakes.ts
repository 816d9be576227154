import { compileInstrument, type InstrumentSpec, type OrderCommand, unwrap } from '@shardex/contracts';
import type { ClientOrder, ClientOrderReservationInput } from '@shardex/db';
import type { AppConfig, GatewayDeps } from '../app';
import type {
  CatalogEntry,
  ClientOrders,
  CommandSender,
  DepthView,
  InstrumentCatalog,
  KeyVerifier,
  MarketFeed,
  OrderOutcome,
  OrderQueries,
  StoredFill,
  StoredOrder,
  StoredTrade,
} from '../ports';

/** In-memory fakes of the gateway's ports, for `app.inject()` tests. Real adapters are tested on real infra. */

export const BTC_SPEC: InstrumentSpec = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  priceScale: 2,
  quantityScale: 4,
  tickSize: '0.01',
  lotSize: '0.0001',
  minQty: '0.0001',
  maxQty: '100',
};
export const ETH_SPEC: InstrumentSpec = { ...BTC_SPEC, symbol: 'ETH-USDT', base: 'ETH' };

export const KEYS = {
  alice: { key: 'ak_alice.secret', keyId: 'ak_alice', userId: 'alice' },
  bob: { key: 'ak_bob.secret', keyId: 'ak_bob', userId: 'bob' },
} as const;

export function fakeSender(shardOf: (symbol: string) => string = () => 'shard-1') {
  const sent: OrderCommand[] = [];
  let failWith: Error | null = null;
  let hanging = false;
  const sender: CommandSender & { sent: OrderCommand[]; fail(err: Error | null): void; hang(on: boolean): void } = {
    sent,
    fail(err) {
      failWith = err;
    },
    /** Sends that never settle (a broker that takes the request and never answers). */
    hang(on) {
      hanging = on;
    },
    async send(command) {
      if (hanging) return new Promise<never>(() => undefined);
      if (failWith) throw failWith;
      sent.push(structuredClone(command));
      return { shardId: shardOf(command.payload.symbol) };
    },
    shardOf,
    ready: () => failWith === null,
  };
  return sender;
}

export function fakeCatalog(specs: InstrumentSpec[] = [BTC_SPEC, ETH_SPEC], version: number | undefined = 1) {
  const entries: CatalogEntry[] = specs
    .map((s) => ({ instrument: unwrap(compileInstrument(s)), shardId: 'shard-1' }))
    .sort((a, b) => a.instrument.symbol.localeCompare(b.instrument.symbol));
  const catalog: InstrumentCatalog = {
    lookup: (symbol) => entries.find((e) => e.instrument.symbol === symbol),
    list: () => entries,
    version: () => version,
  };
  return catalog;
}

export function fakeClientOrders() {
  const rows = new Map<string, ClientOrder>();
  let broken: Error | null = null;
  const store: ClientOrders & { rows: Map<string, ClientOrder>; fail(err: Error | null): void } = {
    rows,
    fail(err) {
      broken = err;
    },
    async reserve(input: ClientOrderReservationInput) {
      if (broken) throw broken;
      const key = `${input.userId}/${input.clientOrderId}`;
      const existing = rows.get(key);
      if (existing) return { fresh: false, ...existing };
      rows.set(key, {
        userId: input.userId,
        clientOrderId: input.clientOrderId,
        orderId: input.orderId,
        symbol: input.symbol,
        command: input.command,
        state: 'pending',
        createdAt: input.at,
        sentAt: null,
      });
      return { fresh: true };
    },
    async markSent(userId, clientOrderId, at) {
      if (broken) throw broken;
      const row = rows.get(`${userId}/${clientOrderId}`);
      if (!row || row.state === 'sent') return false;
      row.state = 'sent';
      row.sentAt = at;
      return true;
    },
    async find(userId, clientOrderId) {
      if (broken) throw broken;
      return rows.get(`${userId}/${clientOrderId}`);
    },
    async findByOrderId(userId, orderId) {
      if (broken) throw broken;
      return [...rows.values()].find((r) => r.orderId === orderId && r.userId === userId);
    },
  };
  return store;
}

/** Keyset pagination over arrays, newest first, with the real cursor contract (opaque; a bad one throws). */
export function fakeQueries({
  orders = [] as StoredOrder[],
  fills = [] as Array<StoredFill & { userId: string }>,
  trades = [] as StoredTrade[],
} = {}) {
  let broken: Error | null = null;
  const page = <T>(items: T[], limit: number, cursor: string | undefined) => {
    let start = 0;
    if (cursor !== undefined) {
      start = Number(Buffer.from(cursor, 'base64url').toString());
      if (!Number.isInteger(start) || start <= 0 || start > items.length)
        throw Object.assign(new Error('cursor is not valid'), { code: 'DB_ERR_CURSOR_INVALID' });
    }
    const slice = items.slice(start, start + limit);
    const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
    return { slice, next };
  };
  const queries: OrderQueries & { fail(err: Error | null): void; add(order: StoredOrder): void } = {
    fail(err) {
      broken = err;
    },
    add(order) {
      orders.push(order);
    },
    async getOrder(userId, orderId) {
      if (broken) throw broken;
      return orders.find((o) => o.userId === userId && o.orderId === orderId);
    },
    async listOrders(userId, q) {
      if (broken) throw broken;
      const mine = orders
        .filter((o) => o.userId === userId)
        .filter((o) => q.symbol === undefined || o.symbol === q.symbol)
        .filter((o) => q.statuses === undefined || q.statuses.includes(o.status))
        .sort((a, b) => b.createdAt - a.createdAt || (a.orderId < b.orderId ? 1 : -1));
      const { slice, next } = page(mine, q.limit, q.cursor);
      return { orders: slice, nextCursor: next };
    },
    async listFills(userId, q) {
      if (broken) throw broken;
      const mine = fills.filter((f) => f.userId === userId && (q.symbol === undefined || f.symbol === q.symbol));
      const { slice, next } = page(mine, q.limit, q.cursor);
      return { fills: slice.map(({ userId: _u, ...f }) => f), nextCursor: next };
    },
    async recentTrades(symbol, limit) {
      if (broken) throw broken;
      return trades.filter((t) => t.symbol === symbol).slice(0, limit);
    },
    async tradeVolume(symbol, sinceMs) {
      if (broken) throw broken;
      const inWindow = trades.filter((t) => t.symbol === symbol && t.executedAt >= sinceMs);
      return { quantity: sumDecimals(inWindow.map((t) => t.quantity)), trades: inWindow.length };
    },
  };
  return queries;
}

/** Exact sum of plain decimal strings (as MySQL's DECIMAL SUM is), shortest text. */
function sumDecimals(values: readonly string[]): string {
  const SCALE = 18;
  let total = 0n;
  for (const v of values) {
    const [whole = '0', fraction = ''] = v.split('.');
    total += BigInt(whole + fraction.padEnd(SCALE, '0'));
  }
  const digits = total.toString().padStart(SCALE + 1, '0');
  const fraction = digits.slice(-SCALE).replace(/0+$/, '');
  return fraction ? `${digits.slice(0, -SCALE)}.${fraction}` : digits.slice(0, -SCALE);
}

export function fakeFeed() {
  const waiting = new Map<string, (o: OrderOutcome | undefined) => void>();
  const depths = new Map<string, DepthView>();
  const feed: MarketFeed & {
    /** Answers the wait for `orderId` (what the shard's events would have said). */
    settle(orderId: string, outcome: OrderOutcome | undefined): void;
    /** Outcomes given before the order is even sent: the events beat the produce acknowledgement. */
    preset: Map<string, OrderOutcome>;
    waiting: Map<string, unknown>;
    depths: Map<string, DepthView>;
  } = {
    preset: new Map(),
    waiting,
    depths,
    waitForOrder(orderId, timeoutMs) {
      let resolve!: (o: OrderOutcome | undefined) => void;
      const outcome = new Promise<OrderOutcome | undefined>((r) => (resolve = r));
      const timer = setTimeout(() => feed.settle(orderId, undefined), timeoutMs);
      const preset = feed.preset.get(orderId);
      if (preset) resolve(preset);
      else
        waiting.set(orderId, (o) => {
          clearTimeout(timer);
          resolve(o);
        });
      return {
        outcome,
        cancel: () => feed.settle(orderId, undefined),
      };
    },
    settle(orderId, outcome) {
      waiting.get(orderId)?.(outcome);
      waiting.delete(orderId);
    },
    depth(symbol, levels) {
      const d = depths.get(symbol);
      return d && { ...d, bids: d.bids.slice(0, levels), asks: d.asks.slice(0, levels) };
    },
    ready: () => true,
  };
  return feed;
}

export function fakeVerifier(): KeyVerifier & { broken: boolean } {
  const v = {
    broken: false,
    async verify(key: unknown) {
      if (v.broken) throw new Error('MySQL is down');
      const found = Object.values(KEYS).find((k) => k.key === key);
      return found && { keyId: found.keyId, userId: found.userId };
    },
  };
  return v;
}

export function fakeDeps(overrides: Partial<GatewayDeps> = {}) {
  const deps = {
    sender: fakeSender(),
    catalog: fakeCatalog(),
    clientOrders: fakeClientOrders(),
    queries: fakeQueries(),
    feed: fakeFeed(),
    verifier: fakeVerifier(),
    now: () => 1_700_000_000_000,
  };
  // The tests that override a port do not reach for its fake's controls.
  return Object.assign(deps, overrides) as typeof deps;
}

export const TEST_CONFIG: AppConfig = {
  logLevel: 'silent',
  bodyLimitBytes: 64 * 1024,
  rateLimitMax: 1_000,
  publicRateLimitMax: 1_000,
  rateLimitWindowMs: 1_000,
  resultTimeoutMs: 200,
  produceTimeoutMs: 1_000,
  resendWindowMs: 30_000,
  maxEventLoopDelayMs: 10_000,
};
