import type { EngineEvent } from '@shardex/contracts';
import { ShardActivity } from './shard-activity';

const T0 = 1_700_000_000_000;
const state = (seq: number, s: 'RUNNING' | 'STOPPED', symbols: string[]): EngineEvent => ({
  shardId: 'shard-1',
  seq,
  code: 'ENGINE_STATE',
  commandId: `c-${seq}`,
  payload: { state: s, previous: 'INITIALIZED', symbols },
});
const accepted = (seq: number, commandId: string, shardId = 'shard-1'): EngineEvent => ({
  shardId,
  seq,
  code: 'ORDER_ACCEPTED',
  commandId,
  payload: {
    orderId: `o-${seq}`,
    userId: 'u',
    symbol: 'BTC-USDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    price: '1',
    quantity: '1',
    postOnly: false,
  },
});
const depth = (seq: number): EngineEvent => ({
  shardId: 'shard-1',
  seq,
  code: 'DEPTH',
  payload: { symbol: 'BTC-USDT', bids: [], asks: [] },
});

describe('shard activity', () => {
  it('lists every shard of the map, unknown until its output says otherwise', () => {
    const a = new ShardActivity({ shardIds: ['shard-2', 'shard-1'] });
    expect(a.view(T0)).toEqual([
      { shardId: 'shard-1', state: null, symbols: null, lastSeq: null, commandsPerSecond: 0 },
      { shardId: 'shard-2', state: null, symbols: null, lastSeq: null, commandsPerSecond: 0 },
    ]);
  });

  it('keeps the latest ENGINE_STATE by seq and the highest seq of any event', () => {
    const a = new ShardActivity({ shardIds: ['shard-1'] });
    a.onEvent('p#0', state(5, 'STOPPED', ['B-USD']), true, T0);
    a.onEvent('p#1', state(3, 'RUNNING', ['A-USD']), true, T0); // older, read later from another partition
    a.onEvent('p#1', depth(9), true, T0);
    expect(a.view(T0)[0]).toMatchObject({ state: 'STOPPED', symbols: ['B-USD'], lastSeq: 9 });
  });

  it('counts each live command once, over the last whole seconds of the window', () => {
    const a = new ShardActivity({ shardIds: ['shard-1', 'shard-2'], windowSeconds: 10 });
    // History (the warm-up tail) sets state but is no activity.
    a.onEvent('p#0', accepted(1, 'old'), false, T0);
    // One command: three events; then two more commands; one on another shard.
    a.onEvent('p#0', accepted(2, 'c1'), true, T0);
    a.onEvent('p#0', depth(3), true, T0);
    a.onEvent('p#0', accepted(4, 'c1'), true, T0);
    a.onEvent('p#0', accepted(5, 'c2'), true, T0 + 500);
    a.onEvent('p#1', accepted(6, 'c3'), true, T0 + 900);
    a.onEvent('q#0', accepted(1, 'x', 'shard-2'), true, T0);
    expect(a.view(T0 + 999)[0]?.commandsPerSecond).toBe(0); // that second is still filling
    expect(a.view(T0 + 1_000).map((v) => v.commandsPerSecond)).toEqual([0.3, 0.1]);
    expect(a.view(T0 + 10_999)[0]?.commandsPerSecond).toBe(0.3);
    expect(a.view(T0 + 11_000)[0]?.commandsPerSecond).toBe(0);
  });
});
