import path from 'node:path';
import { getTestInfra } from '@shardex/testing';
import { type Browser, launchBrowser, screenshotDir } from './support/browser';
import { until } from './support/processes';
import { type SystemStack, startStack } from './support/stack';
import { call } from './support/traders';

/**
 * The web console in headless Chromium against the whole system (two shards and a gateway as production bundles,
 * the console built and served by the gateway at `/`): what the page shows must be what the API answers. Every
 * test fails on a console error or an uncaught exception of the page, and saves a screenshot under
 * dist/test-results/system-e2e/console/.
 */

const A = 'CCC-USD'; // shard-1
const B = 'DDD-USD'; // shard-2
const SHOTS = screenshotDir('console');

let stack: SystemStack;
let browser: Browser;
const api = (method: string, url: string, who: 'alice' | 'bob' | 'carol' | null, body?: unknown) =>
  call(stack.gatewayUrl, method, url, who ? (stack.keys[who] as string) : null, body);

beforeAll(async () => {
  stack = await startStack({
    label: 'console',
    infra: getTestInfra(),
    symbols: { 'shard-1': [A], 'shard-2': [B] },
    users: ['alice', 'bob', 'carol'],
  });
  browser = await launchBrowser((line) => process.stdout.write(`${line}\n`));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

afterEach(async () => {
  if (!browser) return; // the set-up failed: it says why
  const name = expect.getState().currentTestName ?? 'test';
  const file = path.join(
    SHOTS,
    `${name
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase()
      .slice(0, 80)}.png`,
  );
  await browser.page.screenshot({ path: file, fullPage: true });
  expect(browser.takeErrors()).toEqual([]);
});

/** The rows of a table body as the user reads them. */
async function rows(selector: string): Promise<string[][]> {
  return browser.page.$$eval(`${selector} tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
  );
}

async function text(selector: string): Promise<string> {
  return ((await browser.page.textContent(selector)) ?? '').trim();
}

/** Polls until `probe` returns the same as `expected` (deep), else fails with the last value seen. */
async function eventually<T>(what: string, probe: () => Promise<T>, expected: T, ms = 20_000): Promise<void> {
  let last: T | undefined;
  try {
    await until(
      what,
      async () => {
        last = await probe();
        return JSON.stringify(last) === JSON.stringify(expected);
      },
      ms,
      200,
    );
  } catch {
    expect({ what, shown: last }).toEqual({ what, shown: expected });
  }
}

describe('web console', () => {
  it('lists the markets and shows the book, the tape and the 24 h volume move as orders reach the API', async () => {
    const { page } = browser;
    await page.goto(`${stack.gatewayUrl}/#${A}`);
    await eventually('the markets', async () => (await rows('#market-rows')).map((r) => r[0]), [A, B]);
    await eventually('the live stream', () => text('#conn'), 'live');

    for (const [who, side, price, quantity] of [
      ['alice', 'sell', '101.50', '1.00'],
      ['alice', 'sell', '102.00', '2.00'],
      ['bob', 'buy', '100.00', '0.50'],
      ['bob', 'buy', '99.50', '0.25'],
      ['bob', 'buy', '101.50', '0.40'], // trades 0.40 at 101.50
    ] as const) {
      const res = await api('POST', '/v1/orders', who, { symbol: A, side, type: 'limit', price, quantity });
      expect(res.status).toBe(202);
    }

    // The ladder shows the API's own depth, with sizes summed from the best level outwards.
    await eventually('the asks', () => rows('#asks'), [
      ['102.00', '2.00', '2.60'],
      ['101.50', '0.60', '0.60'],
    ]);
    await eventually('the bids', () => rows('#bids'), [
      ['100.00', '0.50', '0.50'],
      ['99.50', '0.25', '0.75'],
    ]);
    const depth = (await api('GET', `/v1/markets/${A}/depth`, null)).body as {
      bids: string[][];
      asks: string[][];
      seq: number;
    };
    expect((await rows('#bids')).map((r) => r.slice(0, 2))).toEqual(depth.bids);
    expect((await rows('#asks')).map((r) => r.slice(0, 2)).reverse()).toEqual(depth.asks);

    // The tape: the trade the API reports, as it reports it.
    const trades = (await api('GET', `/v1/markets/${A}/trades`, null)).body['trades'] as Array<{
      tradeId: string;
      price: string;
      quantity: string;
    }>;
    expect(trades).toHaveLength(1);
    await eventually('the tape', async () => (await rows('#trade-rows')).map((r) => r.slice(1)), [
      [trades[0]?.price, trades[0]?.quantity],
    ]);
    await eventually(
      'the chart',
      () =>
        page
          .locator('#chart canvas')
          .count()
          .then((n) => n > 0),
      true,
    );

    // The markets list: the last price and the rolling 24 h volume of /v1/markets/summary (once the shard's write
    // buffer stored the trade in MySQL, where the summary reads it).
    await until(
      'the summary to count the trade',
      async () => {
        const summary = (await api('GET', '/v1/markets/summary', null)).body['markets'] as Array<{
          symbol: string;
          lastPrice: string | null;
          volume24h: string;
        }>;
        return summary[0]?.symbol === A && summary[0].lastPrice === '101.50' && summary[0].volume24h === '0.40';
      },
      20_000,
    );
    await eventually('the market row', async () => (await rows(`#market-rows`))[0], [A, '101.50', '0.40']);
  });

  it('notices a missed depth message and re-syncs the book from the REST snapshot', async () => {
    const { page } = browser;
    // Between the page and the gateway: drops one depth message of A when armed, forwards everything else.
    let dropNext = false;
    let dropped = 0;
    await page.routeWebSocket(/\/v1\/stream$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        if (dropNext && typeof m === 'string' && m.includes(`"channel":"depth:${A}"`)) {
          dropNext = false;
          dropped++;
          return;
        }
        ws.send(m);
      });
      ws.onMessage((m) => server.send(m));
    });
    await page.reload();
    await eventually('the live stream', () => text('#conn'), 'live');
    await eventually('the book', async () => (await rows('#bids')).map((r) => r[0]), ['100.00', '99.50']);

    dropNext = true;
    const placed: string[] = [];
    for (const price of ['99.00', '98.50']) {
      const res = await api('POST', '/v1/orders', 'bob', {
        symbol: A,
        side: 'buy',
        type: 'limit',
        price,
        quantity: '0.10',
      });
      expect(res.status).toBe(202);
      placed.push(res.body['orderId'] as string);
      await until('the depth to move', async () => {
        const d = (await api('GET', `/v1/markets/${A}/depth`, null)).body as { bids: string[][] };
        return d.bids.some((b) => b[0] === price);
      });
    }
    expect(dropped).toBe(1);
    // The message after the dropped one skips a seq: the page re-syncs, and shows the API's book and seq.
    const d = (await api('GET', `/v1/markets/${A}/depth`, null)).body as { bids: string[][]; seq: number };
    await eventually('the re-synced book', async () => (await rows('#bids')).map((r) => r.slice(0, 2)), d.bids);
    await eventually('the re-sync count', () => text('#book-seq'), `seq ${d.seq} · 1 re-sync`);

    for (const orderId of placed) expect((await api('DELETE', `/v1/orders/${orderId}`, 'bob')).status).toBe(202);
    await eventually('the book without them', async () => (await rows('#bids')).map((r) => r[0]), ['100.00', '99.50']);
  });

  it('places an order from the page, shows it open, cancels it, and shows API errors as the API gives them', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill('#api-key', stack.keys['carol'] as string);
    await page.keyboard.press('Enter');
    await eventually('the key', () => text('#key-state'), 'key in use');

    // Off the tick: refused by the gateway before anything is sent. The page shows exactly the API's answer.
    const offTick = { symbol: A, side: 'buy', type: 'limit', price: '98.001', quantity: '1.00' };
    const refused = await api('POST', '/v1/orders', 'carol', offTick);
    expect(refused.status).toBe(400);
    const allow = browser.expectErrors(/Failed to load resource: the server responded with a status of 400/);
    await page.fill('#order-price', '98.001');
    await page.fill('#order-quantity', '1.00');
    await page.click('#place');
    await eventually(
      'the validation error',
      () => text('#order-error'),
      `${refused.body['code']} (400): ${refused.body['message']}`,
    );
    expect(refused.body['code']).toBe('INVALID_PRICE');
    allow();

    // A post-only limit order, placed with the keyboard alone: Tab to the check box, Space, Tab, Enter.
    await page.fill('#order-price', '98.00');
    await page.focus('#order-quantity');
    await page.keyboard.press('Tab'); // time in force
    await page.keyboard.press('Tab'); // post-only
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab'); // Place order
    await page.keyboard.press('Enter');
    await eventually('the result', async () => /^new: \w+ · filled 0$/.test(await text('#order-result')), true);
    const orderId = /^new: (\w+)/.exec(await text('#order-result'))?.[1];
    const open = (await api('GET', `/v1/orders?symbol=${A}&status=open`, 'carol')).body['orders'] as Array<{
      orderId: string;
      price: string;
      quantity: string;
      postOnly: boolean;
    }>;
    expect(open).toEqual([expect.objectContaining({ orderId, price: '98.00', quantity: '1.00', postOnly: true })]);
    await eventually('the open order', () => rows('#open-orders'), [['buy', '98.00', '1.00', '0.00', 'new', 'Cancel']]);
    await eventually('the book', async () => (await rows('#bids')).map((r) => r[0]), ['100.00', '99.50', '98.00']);

    await page.click(`#open-orders tr[data-order="${orderId}"] button`);
    await eventually('the canceled order to leave the list', () => rows('#open-orders'), []);
    const after = (await api('GET', `/v1/orders/${orderId}`, 'carol')).body;
    expect(after).toMatchObject({ orderId, status: 'canceled' });
    await eventually('the book', async () => (await rows('#bids')).map((r) => r[0]), ['100.00', '99.50']);
  });

  it("shows every shard's state and progress, and the change after orchestrator stop", async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 900 });
    const shardRows = async () => (await rows('#shard-rows')).map((r) => [r[0], r[1], r[2]]);
    await eventually('the shards', shardRows, [
      ['shard-1', 'RUNNING', A],
      ['shard-2', 'RUNNING', B],
    ]);
    // The gateway reads the same sources as `orchestrator status`: once the shards are idle, both say the same.
    interface Shard {
      shardId: string;
      state: string | null;
      symbols: string[] | null;
      lastSeq: number | null;
      inputLag: number | null;
      writer: { owner: string; live: boolean } | null;
    }
    const same = (s: Shard) => [s.shardId, s.state, s.symbols, s.lastSeq, s.inputLag, s.writer];
    let views: unknown[] = [];
    await until('/v1/ops/status to agree with orchestrator status', async () => {
      const ops = (await api('GET', '/v1/ops/status', null)).body['shards'] as Shard[];
      const cli = (JSON.parse(await stack.orchestrator('status', '--json')) as { shards: Shard[] }).shards;
      views = [ops.map(same), cli.map(same)];
      return JSON.stringify(views[0]) === JSON.stringify(views[1]);
    }).catch(() => expect(views[0]).toEqual(views[1]));
    expect(views[0]).toEqual([
      ['shard-1', 'RUNNING', [A], expect.any(Number), 0, { owner: 'console-shard-1', live: true }],
      ['shard-2', 'RUNNING', [B], expect.any(Number), 0, { owner: 'console-shard-2', live: true }],
    ]);
    expect(await text('#gateway-stats')).toMatch(
      /^Gateway: [\d.]+ accepted orders\/s · p99 ([\d.]+ ms|—) \(last 60 s\)$/,
    );

    await stack.orchestrator('stop', '--wait', '--timeout', '60s');
    await eventually('the stopped shards', shardRows, [
      ['shard-1', 'STOPPED', A],
      ['shard-2', 'STOPPED', B],
    ]);
    // The last seq shown is the shard's own (its /metrics), once everything it wrote was read.
    const metricsSeq = async (shard: 'shard-1' | 'shard-2') => {
      const res = await fetch(stack.shards[shard].healthUrl.replace('/health', '/metrics'));
      const m = /^shardex_engine_last_seq\{[^}]*\} (\d+)$/m.exec(await res.text());
      return m?.[1];
    };
    const seq1 = await metricsSeq('shard-1');
    expect(seq1).toMatch(/^\d+$/);
    await eventually('shard-1 last seq', async () => (await rows('#shard-rows'))[0]?.[5], seq1);
  });
});
