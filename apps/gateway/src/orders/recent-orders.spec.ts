import { createRecentOrders } from './recent-orders';

describe('recent orders', () => {
  it('remembers up to its capacity, forgetting the oldest first', () => {
    const recent = createRecentOrders({ capacity: 3 });
    for (const id of ['a', 'b', 'c', 'd']) recent.remember(id, `u-${id}`, 'BTC-USDT');
    expect(recent.lookup('a')).toBeUndefined();
    expect(recent.lookup('b')).toEqual({ userId: 'u-b', symbol: 'BTC-USDT' });
    recent.remember('b', 'u-b', 'ETH-USDT'); // a repeat updates in place, evicting nothing
    expect(recent.lookup('c')).toBeDefined();
    recent.remember('e', 'u-e', 'BTC-USDT');
    expect(recent.lookup('b')).toBeUndefined();
    expect(['c', 'd', 'e'].map((id) => recent.lookup(id)?.userId)).toEqual(['u-c', 'u-d', 'u-e']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => createRecentOrders({ capacity: 0 })).toThrow(RangeError);
  });
});
