import './styles.css';
import { formatApiError } from './lib/api-error';
import { type ApiResult, callApi } from './lib/api';
import { buildLadder, type LadderRow } from './lib/book';
import { buildCandles, type TimedTrade } from './lib/candles';
import { BookFeed } from './lib/book-feed';
import { MarketStream } from './lib/stream';
import type {
  Depth,
  FillView,
  Market,
  MarketSummary,
  OpsStatus,
  OrderView,
  PublicTrade,
  StreamTrade,
} from './lib/types';
import { PriceChart } from './ui/chart';
import { $, age, el, setText, td, timeOfDay } from './ui/dom';

const DEPTH_LEVELS = 15;
const TAPE_ROWS = 40;
const TRADES_KEPT = 500;
const KEY_STORAGE = 'shardex.apiKey';

interface TapeTrade extends TimedTrade {
  side: 'buy' | 'sell';
}

const state = {
  markets: [] as Market[],
  summaries: new Map<string, MarketSummary>(),
  symbol: undefined as string | undefined,
  trades: [] as TapeTrade[],
  apiKey: sessionStorage.getItem(KEY_STORAGE) ?? undefined,
};
const chart = new PriceChart($('chart'));
const book = new BookFeed({
  async fetchSnapshot(symbol) {
    const res = await callApi<Depth>('GET', `/v1/markets/${encodeURIComponent(symbol)}/depth?levels=${DEPTH_LEVELS}`);
    return res.ok ? res.body : undefined;
  },
  resubscribe(symbol) {
    stream.resubscribe([`depth:${symbol}`]);
  },
  show(bids, asks, seq) {
    renderLadder(bids, asks);
    setText('book-seq', `seq ${seq}${book.resyncs ? ` · ${book.resyncs} re-sync${book.resyncs > 1 ? 's' : ''}` : ''}`);
  },
});

const stream = new MarketStream(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`, {
  onOpen() {
    setConnection('live', 'live');
    // Whatever happened while away is unknown: the book and the tape are fetched again.
    if (state.symbol) void book.start(state.symbol);
    void loadTrades();
  },
  onClose() {
    setConnection('down', 'reconnecting…');
  },
  onDepth(channel, data) {
    if (channel === `depth:${state.symbol}`) book.onMessage(data);
  },
  onTrade(channel, data) {
    if (channel !== `trades:${state.symbol}`) return;
    onStreamTrade(data);
  },
  onOrderEvent() {
    scheduleMine();
  },
  onError(code, message) {
    // Stream errors are answers to our own requests (a bad key on login, say): shown where the key is.
    setText('key-state', `${code}: ${message}`);
  },
});

function setConnection(s: string, label: string): void {
  const pill = $('conn');
  pill.dataset['state'] = s;
  pill.textContent = label;
}

// ---- markets ----

async function loadMarkets(): Promise<void> {
  const res = await callApi<{ markets: Market[] }>('GET', '/v1/markets');
  if (!res.ok) {
    setText('markets-error', formatApiError(res.error));
    setTimeout(() => void loadMarkets(), 2_000);
    return;
  }
  setText('markets-error', '');
  state.markets = res.body.markets;
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = state.markets.find((m) => m.symbol === wanted) ?? state.markets[0];
  renderMarkets();
  if (first) select(first.symbol);
  await loadSummary();
}

async function loadSummary(): Promise<void> {
  const res = await callApi<{ markets: MarketSummary[] }>('GET', '/v1/markets/summary');
  if (res.ok) {
    for (const s of res.body.markets) state.summaries.set(s.symbol, s);
    renderMarkets();
  } else setText('markets-error', formatApiError(res.error));
}

function renderMarkets(): void {
  const rows = state.markets.map((m) => {
    const s = state.summaries.get(m.symbol);
    const pick = el('button', { text: m.symbol, attrs: { type: 'button', 'aria-label': `Show ${m.symbol}` } });
    pick.addEventListener('click', () => select(m.symbol));
    const row = el(
      'tr',
      { attrs: { 'data-symbol': m.symbol, 'aria-current': String(m.symbol === state.symbol) } },
      el('td', {}, pick),
      td(s?.lastPrice ?? '—', 'num'),
      td(s ? s.volume24h : '—', 'num'),
    );
    return row;
  });
  $('market-rows').replaceChildren(...rows);
}

function select(symbol: string): void {
  if (symbol === state.symbol) return;
  state.symbol = symbol;
  state.trades = [];
  if (location.hash !== `#${symbol}`) history.replaceState(null, '', `#${symbol}`);
  const market = state.markets.find((m) => m.symbol === symbol);
  if (market) chart.setTick(market.tickSize);
  setText('symbol-title', symbol);
  renderMarkets();
  renderLadder([], []);
  renderTape();
  chart.show([]);
  stream.setChannels([`depth:${symbol}`, `trades:${symbol}`]);
  void book.start(symbol);
  void loadTrades();
  scheduleMine();
}

// ---- depth and trades, with gap detection ----

/** The latest trades from REST (with their stored execution times); stream trades since are kept. */
async function loadTrades(): Promise<void> {
  const symbol = state.symbol;
  if (!symbol) return;
  const res = await callApi<{ trades: PublicTrade[] }>(
    'GET',
    `/v1/markets/${encodeURIComponent(symbol)}/trades?limit=${TRADES_KEPT}`,
  );
  if (symbol !== state.symbol || !res.ok) return;
  const rest = res.body.trades.map((t): TapeTrade => ({
    tradeId: t.tradeId,
    price: t.price,
    quantity: t.quantity,
    time: t.executedAt,
    side: t.takerSide,
  }));
  const known = new Set(rest.map((t) => t.tradeId));
  state.trades = [...state.trades.filter((t) => !known.has(t.tradeId)), ...rest]
    .sort((a, b) => b.time - a.time)
    .slice(0, TRADES_KEPT);
  renderTape();
  renderChart();
}

function onStreamTrade(t: StreamTrade): void {
  if (state.trades.some((x) => x.tradeId === t.tradeId)) return;
  // Stream trades carry no time: stamped on arrival (a REST re-sync brings the stored execution times).
  state.trades.unshift({
    tradeId: t.tradeId,
    price: t.price,
    quantity: t.quantity,
    time: Date.now(),
    side: t.takerSide === 'BUY' ? 'buy' : 'sell',
  });
  if (state.trades.length > TRADES_KEPT) state.trades.length = TRADES_KEPT;
  const s = state.summaries.get(t.symbol);
  if (s) {
    s.lastPrice = t.price;
    renderMarkets();
  }
  renderTape();
  renderChart();
  scheduleSummary();
}

function ladderRow(r: LadderRow): HTMLTableRowElement {
  const row = el('tr', { attrs: { 'data-price': r.price } }, td(r.price, 'num'), td(r.size, 'num'), td(r.total, 'num'));
  row.style.backgroundSize = `${(r.depth * 100).toFixed(1)}% 100%`;
  return row;
}

function renderLadder(bids: ReadonlyArray<[string, string]>, asks: ReadonlyArray<[string, string]>): void {
  const ladder = buildLadder(bids.slice(0, DEPTH_LEVELS), asks.slice(0, DEPTH_LEVELS));
  // Asks above the spread, best (lowest) nearest to it.
  $('asks').replaceChildren(...ladder.asks.map(ladderRow).reverse());
  $('bids').replaceChildren(...ladder.bids.map(ladderRow));
  const bestBid = bids[0]?.[0];
  const bestAsk = asks[0]?.[0];
  setText('spread', bestBid && bestAsk ? `bid ${bestBid} · ask ${bestAsk}` : 'no two-sided book');
}

function renderTape(): void {
  const rows = state.trades
    .slice(0, TAPE_ROWS)
    .map((t) =>
      el(
        'tr',
        { attrs: { 'data-trade': t.tradeId } },
        td(timeOfDay(t.time)),
        td(t.price, `num ${t.side}`),
        td(t.quantity, 'num'),
      ),
    );
  $('trade-rows').replaceChildren(...rows);
}

let chartFrame = 0;
function renderChart(): void {
  if (chartFrame) return;
  chartFrame = requestAnimationFrame(() => {
    chartFrame = 0;
    chart.show(buildCandles(state.trades, 60));
  });
}

let summaryTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleSummary(): void {
  summaryTimer ??= setTimeout(() => {
    summaryTimer = undefined;
    void loadSummary();
  }, 2_500);
}

// ---- the caller's orders ----

function useKey(key: string | undefined): void {
  state.apiKey = key;
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  setText('key-state', key ? 'key in use' : 'no key yet: paste one to trade');
  stream.login(key);
  scheduleMine();
}

let mineTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleMine(): void {
  clearTimeout(mineTimer);
  mineTimer = setTimeout(() => void loadMine(), 150);
}

async function loadMine(): Promise<void> {
  const symbol = state.symbol;
  const apiKey = state.apiKey;
  if (!symbol || !apiKey) {
    $('open-orders').replaceChildren();
    $('fills').replaceChildren();
    return;
  }
  const q = `symbol=${encodeURIComponent(symbol)}`;
  const [orders, fills] = await Promise.all([
    callApi<{ orders: OrderView[] }>('GET', `/v1/orders?${q}&status=open&limit=50`, { apiKey }),
    callApi<{ fills: FillView[] }>('GET', `/v1/fills?${q}&limit=20`, { apiKey }),
  ]);
  if (symbol !== state.symbol || apiKey !== state.apiKey) return;
  const problem = [orders, fills].find((r): r is Extract<ApiResult<unknown>, { ok: false }> => !r.ok);
  setText('mine-error', problem ? formatApiError(problem.error) : '');
  if (orders.ok) $('open-orders').replaceChildren(...orders.body.orders.map(orderRow));
  if (fills.ok)
    $('fills').replaceChildren(
      ...fills.body.fills.map((f) =>
        el(
          'tr',
          { attrs: { 'data-trade': f.tradeId } },
          td(f.side, f.side),
          td(f.price, 'num'),
          td(f.quantity, 'num'),
          td(f.liquidity),
        ),
      ),
    );
}

function orderRow(o: OrderView): HTMLTableRowElement {
  const cancel = el('button', { text: 'Cancel', attrs: { type: 'button', 'aria-label': `Cancel order ${o.orderId}` } });
  cancel.addEventListener('click', () => void cancelOrder(o.orderId, cancel));
  return el(
    'tr',
    { attrs: { 'data-order': o.orderId } },
    td(o.side, o.side),
    td(o.price ?? 'market', 'num'),
    td(o.quantity, 'num'),
    td(o.filledQuantity, 'num filled'),
    td(o.status),
    el('td', {}, cancel),
  );
}

async function cancelOrder(orderId: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const res = await callApi('DELETE', `/v1/orders/${encodeURIComponent(orderId)}`, { apiKey: state.apiKey });
  if (!res.ok) {
    button.disabled = false;
    setText('mine-error', formatApiError(res.error));
    return;
  }
  setText('order-result', `cancel sent for ${orderId}`);
  scheduleMine();
}

async function cancelAll(): Promise<void> {
  if (!state.symbol) return;
  const res = await callApi('DELETE', `/v1/orders?symbol=${encodeURIComponent(state.symbol)}`, {
    apiKey: state.apiKey,
  });
  if (res.ok) setText('order-result', `cancel-all sent for ${state.symbol}`);
  setText('mine-error', res.ok ? '' : formatApiError(res.error));
  scheduleMine();
}

async function placeOrder(form: HTMLFormElement): Promise<void> {
  const data = new FormData(form);
  const type = String(data.get('type'));
  // The fields as typed: the gateway validates them (tick, lot, scale) and its answer is shown as it is.
  const body: Record<string, unknown> = {
    symbol: state.symbol,
    side: String(data.get('side')),
    type,
    quantity: String(data.get('quantity') ?? '').trim(),
    responseType: 'result',
  };
  if (type === 'limit') {
    body['price'] = String(data.get('price') ?? '').trim();
    body['timeInForce'] = String(data.get('timeInForce'));
    if (data.get('postOnly') === 'on') body['postOnly'] = true;
  } else if (data.get('timeInForce') !== 'GTC') body['timeInForce'] = String(data.get('timeInForce'));
  setText('order-result', '');
  setText('order-error', '');
  const res = await callApi<{ orderId: string; status: string; filledQuantity?: string }>('POST', '/v1/orders', {
    apiKey: state.apiKey,
    body,
  });
  if (res.ok) {
    const r = res.body;
    setText('order-result', `${r.status}: ${r.orderId}${r.filledQuantity ? ` · filled ${r.filledQuantity}` : ''}`);
  } else setText('order-error', formatApiError(res.error));
  scheduleMine();
}

// ---- operations ----

async function loadOps(): Promise<void> {
  const res = await callApi<OpsStatus>('GET', '/v1/ops/status');
  if (!res.ok) {
    setText('ops-error', formatApiError(res.error));
    return;
  }
  setText('ops-error', '');
  const g = res.body.gateway;
  setText(
    'gateway-stats',
    `Gateway: ${g.acceptedPerSecond} accepted orders/s · p99 ${g.p99LatencyMs === null ? '—' : `${g.p99LatencyMs} ms`} (last ${g.windowSeconds} s)`,
  );
  $('shard-rows').replaceChildren(
    ...res.body.shards.map((s) =>
      el(
        'tr',
        { attrs: { 'data-shard': s.shardId, title: s.problems.join('; ') } },
        td(s.shardId),
        td(s.state ?? 'unknown', `state state-${s.state ?? 'unknown'}`),
        td(s.symbols ? s.symbols.join(', ') : '—'),
        td(String(s.commandsPerSecond), 'num'),
        td(s.inputLag === null ? '—' : String(s.inputLag), 'num'),
        td(s.lastSeq === null ? '—' : String(s.lastSeq), 'num'),
        td(s.snapshot ? `${age(s.snapshot.ageMs)} (seq ${s.snapshot.seq})` : 'none', 'num'),
        td(s.writer ? `${s.writer.owner}${s.writer.live ? '' : ' (expired)'}` : '—'),
      ),
    ),
  );
}

// ---- wiring ----

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = ($('api-key') as HTMLInputElement).value.trim();
  useKey(value || undefined);
});
$('forget-key').addEventListener('click', () => {
  ($('api-key') as HTMLInputElement).value = '';
  useKey(undefined);
});
$('order-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void placeOrder(e.currentTarget as HTMLFormElement);
});
$('order-type').addEventListener('change', (e) => {
  ($('order-price') as HTMLInputElement).disabled = (e.target as HTMLSelectElement).value === 'market';
});
$('cancel-all').addEventListener('click', () => void cancelAll());
window.addEventListener('hashchange', () => {
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (state.markets.some((m) => m.symbol === wanted)) select(wanted);
});

if (state.apiKey) ($('api-key') as HTMLInputElement).value = state.apiKey;
useKey(state.apiKey);
stream.connect();
void loadMarkets();
void loadOps();
setInterval(() => void loadOps(), 2_000);
setInterval(() => void loadSummary(), 10_000);
setInterval(() => {
  // A backstop for order events missed while the stream was down.
  if (state.apiKey) void loadMine();
}, 5_000);
