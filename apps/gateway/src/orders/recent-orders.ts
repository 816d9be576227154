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
  const orders = new Map<string, { userId: string; symbol: string }>();
  return {
    remember(orderId, userId, symbol) {
      orders.set(orderId, { userId, symbol });
      // Maps iterate in insertion order: the first key is the oldest.
      if (orders.size > capacity) orders.delete(orders.keys().next().value as string);
    },
    lookup: (orderId) => orders.get(orderId),
  };
}
