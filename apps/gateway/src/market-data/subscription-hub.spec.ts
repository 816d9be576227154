import { createSubscriptionHub, depthChannel, ordersChannel, tradesChannel } from './subscription-hub';

describe('SubscriptionHub', () => {
  it('delivers a channel’s messages to its listeners only, as JSON text built once', () => {
    const hub = createSubscriptionHub();
    const a: string[] = [];
    const b: string[] = [];
    hub.subscribe('trades:BTC-USDT', (t) => a.push(t));
    hub.subscribe('trades:BTC-USDT', (t) => b.push(t));
    const build = jest.fn(() => ({ type: 'trade', n: 1 }));
    expect(hub.publish('trades:BTC-USDT', build)).toBe(2);
    expect(build).toHaveBeenCalledTimes(1);
    expect(a).toEqual(['{"type":"trade","n":1}']);
    expect(b).toEqual(a);
    expect(hub.publish('trades:ETH-USDT', build)).toBe(0);
    expect(build).toHaveBeenCalledTimes(1); // nobody listens: nothing is built
  });

  it('unsubscribes (twice is harmless), drops empty channels, and counts', () => {
    const hub = createSubscriptionHub();
    const got: string[] = [];
    const listener = (t: string) => got.push(t);
    const off1 = hub.subscribe('depth:X', listener);
    const off2 = hub.subscribe('depth:X', listener); // the same function twice: two subscriptions
    expect(hub.stats()).toEqual({ channels: 1, subscriptions: 2 });
    hub.publish('depth:X', () => ({}));
    expect(got).toHaveLength(2);
    off1();
    off1();
    expect(hub.listeners('depth:X')).toBe(1);
    off2();
    expect(hub.stats()).toEqual({ channels: 0, subscriptions: 0 });
    hub.publish('depth:X', () => ({}));
    expect(got).toHaveLength(2);
  });

  it('keeps delivering when a listener throws or unsubscribes another during a publish', () => {
    const errors: string[] = [];
    const hub = createSubscriptionHub({ onListenerError: (_err, channel) => errors.push(channel) });
    const got: string[] = [];
    hub.subscribe('c', () => {
      throw new Error('socket gone');
    });
    let offOther = () => undefined as void;
    hub.subscribe('c', () => {
      got.push('second');
      offOther();
    });
    offOther = hub.subscribe('c', () => got.push('third'));
    expect(hub.publish('c', () => ({}))).toBe(2); // the one that threw is not counted
    expect(errors).toEqual(['c']);
    expect(got).toEqual(['second', 'third']); // removed during the publish, it still got this one
    hub.publish('c', () => ({}));
    expect(got).toEqual(['second', 'third', 'second']);
  });

  it('names channels', () => {
    expect(tradesChannel('BTC-USDT')).toBe('trades:BTC-USDT');
    expect(depthChannel('BTC-USDT')).toBe('depth:BTC-USDT');
    expect(ordersChannel('u1')).toBe('orders:u1');
  });
});
