/**
 * The orders this gateway placed most recently: the shard stores an order in MySQL within its flush interval, and a
 * cancel sent in between must still find the order's owner and symbol. Bounded (oldest forgotten first), so it is
 * only a bridge over the shard's write lag, never a second order store.
 */
export interface RecentOrders {
  remember(orderId: string, userId: string, symbol: string): void;
  lookup(orderId: string): { userId: string; symbol: string } | undefined;
}

export function createRecentOrders({ capacity = 100_000 }: { capacity?: number } = {}): RecentOrders {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  // A ring of ids beside the map: evicting the oldest is O(1). (Deleting a Map's first key and asking for the next
  // first one walks over the deleted slots until V8 rehashes: quadratic at this size, measured as the gateway slowing
  // down as it ran.)
  const ring: Array<string | undefined> = new Array<string | undefined>(capacity);
  let next = 0;
  const orders = new Map<string, { userId: string; symbol: string }>();
  return {
    remember(orderId, userId, symbol) {
      if (orders.has(orderId)) {
        orders.set(orderId, { userId, symbol });
        return;
      }
      const evicted = ring[next];
      if (evicted !== undefined) orders.delete(evicted);
      ring[next] = orderId;
      next = (next + 1) % capacity;
      orders.set(orderId, { userId, symbol });
    },
    lookup: (orderId) => orders.get(orderId),
  };
}
