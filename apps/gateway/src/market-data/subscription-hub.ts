/**
 * Channels and their listeners. A message is serialised once per publish, and only when someone listens, so a
 * thousand subscribers of `depth:BTC-USDT` cost one JSON.stringify. Listeners run synchronously in publish order,
 * which keeps every channel in the order of the shard's events.
 */

/** Receives the JSON text of a message (ready to write to a socket as is). */
export type HubListener = (text: string) => void;

export const tradesChannel = (symbol: string): string => `trades:${symbol}`;
export const depthChannel = (symbol: string): string => `depth:${symbol}`;
/** The hub's key for a user's own order events; on the wire the channel is just `orders`. */
export const ordersChannel = (userId: string): string => `orders:${userId}`;

export interface SubscriptionHubOptions {
  /** A listener threw: the others still get the message. Default: ignored. */
  onListenerError?: (err: unknown, channel: string) => void;
}

export interface SubscriptionHub {
  /** Adds a listener; returns the function that removes it (safe to call twice). */
  subscribe(channel: string, listener: HubListener): () => void;
  /** Sends `build()`'s message to the channel's listeners; builds nothing when there are none. Returns how many got it. */
  publish(channel: string, build: () => object): number;
  /** Listeners of a channel (0 for one nobody listens to). */
  listeners(channel: string): number;
  /** Channels with at least one listener, and listeners in all. */
  stats(): { channels: number; subscriptions: number };
}

export function createSubscriptionHub({ onListenerError }: SubscriptionHubOptions = {}): SubscriptionHub {
  const channels = new Map<string, Set<HubListener>>();
  let subscriptions = 0;
  return {
    subscribe(channel, listener) {
      let set = channels.get(channel);
      if (!set) {
        set = new Set();
        channels.set(channel, set);
      }
      // The same function twice on one channel would be one Set entry: wrap it so each subscription is its own.
      const entry: HubListener = (text) => listener(text);
      set.add(entry);
      subscriptions++;
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        const current = channels.get(channel);
        if (current?.delete(entry)) subscriptions--;
        if (current?.size === 0) channels.delete(channel);
      };
    },
    publish(channel, build) {
      const set = channels.get(channel);
      if (!set || set.size === 0) return 0;
      const text = JSON.stringify(build());
      let delivered = 0;
      // A copy: a listener may unsubscribe itself or others (a slow socket is cut) while we iterate.
      for (const listener of [...set]) {
        try {
          listener(text);
          delivered++;
        } catch (err) {
          onListenerError?.(err, channel);
        }
      }
      return delivered;
    },
    listeners: (channel) => channels.get(channel)?.size ?? 0,
    stats: () => ({ channels: channels.size, subscriptions }),
  };
}
