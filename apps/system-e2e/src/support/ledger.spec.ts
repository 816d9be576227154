import { type EngineEvent } from '@shardex/contracts';
import { compareRuns, type Observed, type OrderRow, type OutputRecord, type TradeRow } from './ledger';
import { type Answer, type Outcome, type PlaceStep, type StreamRecord } from './traders';

const answer = (status: number): Answer => ({ status, withOrderId: false, at: 0 });

/** The checker the fault test relies on must itself catch each way the data can be wrong. */

const twin = (s: string) => s.replace(/^F/, 'R');

function place(cid: string, side: 'buy' | 'sell'): PlaceStep {
  return {
    kind: 'place',
    cid,
    user: side === 'buy' ? 'u1' : 'u2',
    side,
    type: 'limit',
    timeInForce: 'GTC',
    price: '100.00',
    quantity: '1.00',
  };
}

function row(orderId: string, symbol: string, step: PlaceStep, status: string, filled: string): OrderRow {
  return {
    order_id: orderId,
    symbol,
    user_id: step.user,
    side: step.side.toUpperCase(),
    type: 'LIMIT',
    time_in_force: 'GTC',
    price: '100.000000000000000000',
    quantity: '1.000000000000000000',
    filled_quantity: filled,
    status,
    reason: null,
    post_only: 0,
  };
}

let seq = 0;
function ev(shardId: string, code: EngineEvent['code'], payload: object, commandId?: string): OutputRecord {
  const event = { shardId, seq: ++seq, code, payload, ...(commandId ? { commandId } : {}) } as EngineEvent;
  return { shardId, bytes: JSON.stringify(event), event };
}

/** A sell resting, a buy taking it, on F1 and on its twin R1: a consistent run. */
function consistent(): { records: StreamRecord[]; reference: Map<string, string>; observed: Observed } {
  seq = 0;
  const sell = place('F1-0', 'sell');
  const buy = place('F1-1', 'buy');
  const outcomes: Outcome[] = [
    { step: sell, result: 'accepted', orderId: 'o-s', answers: [answer(202)] },
    { step: buy, result: 'accepted', orderId: 'o-b', answers: [answer(0), answer(202)] },
    { step: place('F1-2', 'buy'), result: 'refused', answers: [answer(503)] },
  ];
  const reference = new Map([
    ['rF1-0', 'r-s'],
    ['rF1-1', 'r-b'],
  ]);
  const output: OutputRecord[] = [];
  const trades: TradeRow[] = [];
  for (const [symbol, s, b] of [
    ['F1-USD', 'o-s', 'o-b'],
    ['R1-USD', 'r-s', 'r-b'],
  ] as const) {
    output.push(ev('shard-1', 'ORDER_ACCEPTED', { orderId: s, symbol }, `place:${s}`));
    output.push(ev('shard-1', 'ORDER_ACCEPTED', { orderId: b, symbol }, `place:${b}`));
    const t = ev('shard-1', 'TRADE', { tradeId: `shard-1-${seq + 1}`, symbol, takerOrderId: b, makerOrderId: s });
    output.push(t);
    for (const id of [s, b])
      output.push(ev('shard-1', 'ORDER_FILLED', { orderId: id, symbol, filledQuantity: '1.00' }));
    trades.push({
      trade_id: `shard-1-${t.event.seq}`,
      shard_id: 'shard-1',
      seq: t.event.seq,
      symbol,
      price: '100.000000000000000000',
      quantity: '1.000000000000000000',
      taker_order_id: b,
      maker_order_id: s,
    });
  }
  // The retried buy's second copy, refused as a duplicate: not a second decision.
  output.push(
    ev('shard-1', 'ORDER_REJECTED', { orderId: 'o-b', symbol: 'F1-USD', reason: 'DUPLICATE_COMMAND' }, 'place:o-b'),
  );
  const orders = [
    row('o-s', 'F1-USD', sell, 'FILLED', '1.00'),
    row('o-b', 'F1-USD', buy, 'FILLED', '1.00'),
    row('r-s', 'R1-USD', sell, 'FILLED', '1.00'),
    row('r-b', 'R1-USD', buy, 'FILLED', '1.00'),
  ];
  return { records: [{ symbol: 'F1-USD', outcomes }], reference, observed: { orders, trades, output } };
}

describe('compareRuns', () => {
  it('finds nothing wrong in a consistent run', () => {
    const c = consistent();
    expect(compareRuns({ records: c.records, reference: c.reference, twin }, c.observed)).toEqual([]);
  });

  it('reports an accepted order with no row (lost)', () => {
    const c = consistent();
    c.observed.orders = c.observed.orders.filter((o) => o.order_id !== 'o-b');
    expect(compareRuns({ ...c, twin }, c.observed).join('\n')).toMatch(/F1-1 \(o-b\): accepted by the shard, no row/);
  });

  it('reports an order nobody was told was accepted (a refused one executed, or a duplicate)', () => {
    const c = consistent();
    c.observed.orders.push(row('o-x', 'F1-USD', place('F1-2', 'buy'), 'NEW', '0'));
    c.observed.output.push(ev('shard-1', 'ORDER_ACCEPTED', { orderId: 'o-x', symbol: 'F1-USD' }, 'place:o-x'));
    const problems = compareRuns({ ...c, twin }, c.observed).join('\n');
    expect(problems).toMatch(/order o-x was never accepted by the API/);
    expect(problems).toMatch(/o-x accepted on the output topic, never by the API/);
  });

  it('reports an order decided twice', () => {
    const c = consistent();
    c.observed.output.push(ev('shard-1', 'ORDER_ACCEPTED', { orderId: 'o-s', symbol: 'F1-USD' }, 'place:o-s'));
    expect(compareRuns({ ...c, twin }, c.observed).join('\n')).toMatch(
      /F1-0 \(o-s\): a second decision, ORDER_ACCEPTED/,
    );
  });

  it('reports a duplicate refusal for an order the client never sent twice', () => {
    const c = consistent();
    c.observed.output.push(
      ev('shard-1', 'ORDER_REJECTED', { orderId: 'o-s', symbol: 'F1-USD', reason: 'DUPLICATE_COMMAND' }, 'place:o-s'),
    );
    expect(compareRuns({ ...c, twin }, c.observed).join('\n')).toMatch(
      /F1-0 \(o-s\): a second decision, ORDER_REJECTED/,
    );
  });

  it('reports an order answered "not sent" that an event names', () => {
    const c = consistent();
    c.observed.output.push(
      ev('shard-1', 'ORDER_REJECTED', { orderId: 'o-n', symbol: 'F1-USD', reason: 'INVALID_PRICE' }, 'place:o-n'),
    );
    const problems = compareRuns({ ...c, twin, refusedOrderIds: ['o-n'] }, c.observed).join('\n');
    expect(problems).toMatch(/o-n: answered "not sent", yet an event names it/);
  });

  it('reports a row its events do not leave it in (a lost update, even one both runs lost)', () => {
    const c = consistent();
    for (const o of c.observed.orders) if (o.order_id === 'o-s' || o.order_id === 'r-s') o.status = 'NEW';
    const problems = compareRuns({ ...c, twin }, c.observed).join('\n');
    expect(problems).toMatch(/order o-s: row NEW 1, events say FILLED 1/);
    expect(problems).toMatch(/order r-s: row NEW 1, events say FILLED 1/);
  });

  it('reports an output that ends before the shard’s last seq (its last events lost)', () => {
    const c = consistent();
    const last = Math.max(...c.observed.output.map((o) => o.event.seq));
    expect(compareRuns({ ...c, twin, lastSeq: { 'shard-1': last } }, c.observed)).toEqual([]);
    expect(compareRuns({ ...c, twin, lastSeq: { 'shard-1': last + 3 } }, c.observed).join('\n')).toMatch(
      new RegExp(`shard-1: output ends at seq ${last}, the shard's last is ${last + 3}`),
    );
  });

  it('reports a gap in a shard’s output and two different events under one seq', () => {
    const c = consistent();
    c.observed.output.splice(1, 1);
    const first = c.observed.output[0] as OutputRecord;
    c.observed.output.push({ ...first, bytes: 'something else' });
    const problems = compareRuns({ ...c, twin }, c.observed).join('\n');
    expect(problems).toMatch(/output seqs 1 → 3 \(a gap\)/);
    expect(problems).toMatch(/seq 1: two different events/);
  });

  it('reports an order or a trade that differs from the reference run', () => {
    const c = consistent();
    (c.observed.orders[1] as OrderRow).filled_quantity = '0.50';
    (c.observed.trades[0] as TradeRow).quantity = '0.50';
    const problems = compareRuns({ ...c, twin }, c.observed).join('\n');
    expect(problems).toMatch(/F1-1: row .* here, .* in the reference run/);
    expect(problems).toMatch(/F1-USD: trade #0 is .*0\.5.* here/);
  });

  it('reports a trade row without its event and an event without its row', () => {
    const c = consistent();
    const [lost] = c.observed.trades.splice(1, 1) as [TradeRow];
    c.observed.trades.push({ ...lost, trade_id: 'shard-1-99' });
    const problems = compareRuns({ ...c, twin }, c.observed).join('\n');
    expect(problems).toMatch(/trade shard-1-99: a row, no TRADE event/);
    expect(problems).toMatch(new RegExp(`trade ${lost.trade_id}: a TRADE event, no row`));
  });
});
