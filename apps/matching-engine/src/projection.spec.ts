import type { EngineEvent } from '@shardex/contracts';
import { OrderProjection } from './projection';

const ev = (seq: number, code: EngineEvent['code'], payload: object): EngineEvent =>
  ({ shardId: 'shard-1', seq, code, payload }) as EngineEvent;
const accepted = (seq: number, orderId: string, extra: object = {}) =>
  ev(seq, 'ORDER_ACCEPTED', {
    orderId,
    userId: 'u1',
    symbol: 'TEST',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    price: '100',
    quantity: '5',
    postOnly: false,
    ...extra,
  });

describe('order projection', () => {
  it('writes one row per state change, versioned by the event sequence, timed by the command', () => {
    const p = new OrderProjection('shard-1');
    const rows = p.rows(
      [
        accepted(1, 'a'),
        ev(2, 'TRADE', {
          tradeId: 'shard-1-2',
          symbol: 'TEST',
          price: '100',
          quantity: '2',
          takerOrderId: 'x',
          takerUserId: 'u2',
          makerOrderId: 'a',
          makerUserId: 'u1',
          takerSide: 'SELL',
        }),
        ev(3, 'ORDER_UPDATED', {
          orderId: 'a',
          userId: 'u1',
          symbol: 'TEST',
          status: 'PARTIALLY_FILLED',
          filledQuantity: '2',
          remainingQuantity: '3',
        }),
      ],
      1_000,
    );
    expect(
      rows.map((r) =>
        r.kind === 'order'
          ? `${r.row.orderId} ${r.row.status} ${r.row.filledQuantity} v${r.row.version} @${r.row.updatedAt}`
          : `trade ${r.row.tradeId} seq ${r.row.seq} @${r.row.executedAt}`,
      ),
    ).toEqual(['a NEW 0 v1 @1000', 'trade shard-1-2 seq 2 @1000', 'a PARTIALLY_FILLED 2 v3 @1000']);
    const [, , later] = p
      .rows(
        [
          ev(9, 'ORDER_CANCELED', {
            orderId: 'a',
            userId: 'u1',
            symbol: 'TEST',
            filledQuantity: '2',
            canceledQuantity: '3',
            reason: 'USER',
          }),
        ],
        2_000,
      )
      .map((r) => r.row);
    expect(later).toBeUndefined();
    expect(p.openCount).toBe(0);
  });

  it('keeps what later rows need for open orders only, and takes it back from a snapshot', () => {
    const p = new OrderProjection('shard-1');
    p.rows([accepted(1, 'open'), accepted(2, 'gone', { type: 'MARKET', price: undefined, timeInForce: 'IOC' })], 5);
    const [row] = p.rows(
      [
        ev(3, 'ORDER_EXPIRED', {
          orderId: 'gone',
          userId: 'u1',
          symbol: 'TEST',
          filledQuantity: '0',
          expiredQuantity: '5',
          reason: 'NO_LIQUIDITY',
        }),
      ],
      6,
    );
    expect(row?.kind === 'order' && row.row).toMatchObject({
      status: 'EXPIRED',
      reason: 'NO_LIQUIDITY',
      price: null,
      type: 'MARKET',
      createdAt: 5,
    });
    const restored = new OrderProjection('shard-1', JSON.parse(JSON.stringify(p.export())));
    const [filled] = restored.rows(
      [ev(4, 'ORDER_FILLED', { orderId: 'open', userId: 'u1', symbol: 'TEST', filledQuantity: '5' })],
      7,
    );
    expect(filled?.kind === 'order' && filled.row).toMatchObject({
      status: 'FILLED',
      price: '100',
      createdAt: 5,
      updatedAt: 7,
      version: 4,
    });
  });

  it('writes no row for rejections, engine state or depth, and refuses status events of unknown orders', () => {
    const p = new OrderProjection('shard-1');
    expect(
      p.rows(
        [
          ev(1, 'ORDER_REJECTED', { orderId: 'r', reason: 'INVALID_PRICE', message: 'm' }),
          ev(2, 'ENGINE_STATE', { state: 'RUNNING', previous: 'INITIALIZED', symbols: [] }),
        ],
        0,
      ),
    ).toEqual([]);
    expect(() =>
      p.rows([ev(3, 'ORDER_FILLED', { orderId: 'nope', userId: 'u', symbol: 'TEST', filledQuantity: '1' })], 0),
    ).toThrow(/no ORDER_ACCEPTED/);
  });
});
