import type { ClientOrderReservationInput, ClientOrderStore } from '@shardex/db';
import { DbError } from '@shardex/db';
import { createClientOrderBatcher } from './client-order-batcher';

const input = (clientOrderId: string): ClientOrderReservationInput => ({
  userId: 'u',
  clientOrderId,
  orderId: `o-${clientOrderId}`,
  symbol: 'BTC-USDT',
  command: '{}',
  at: new Date(1_000),
});

function fakeStore() {
  const calls: { reserveMany: string[][]; markSentMany: Array<{ keys: string[]; at: number }> } = {
    reserveMany: [],
    markSentMany: [],
  };
  let failing: Error | null = null;
  const store: Pick<ClientOrderStore, 'reserveMany' | 'markSentMany' | 'find' | 'findByOrderId'> = {
    async reserveMany(inputs) {
      calls.reserveMany.push(inputs.map((i) => i.clientOrderId));
      if (failing) throw failing;
      return inputs.map((i) =>
        i.clientOrderId === 'bad' ? new DbError('DB_ERR_CLIENT_ORDER_INVALID', 'bad') : { fresh: true as const },
      );
    },
    async markSentMany(keys, at) {
      calls.markSentMany.push({ keys: keys.map((k) => k.clientOrderId), at: at.getTime() });
      if (failing) throw failing;
      return keys.length;
    },
    find: async () => undefined,
    findByOrderId: async () => undefined,
  };
  return { store, calls, fail: (e: Error | null) => (failing = e) };
}

describe('client order batcher', () => {
  it('sends the reservations of one turn as one statement, answering each in place', async () => {
    const { store, calls } = fakeStore();
    const batcher = createClientOrderBatcher(store);
    const answers = await Promise.allSettled(['a', 'bad', 'c'].map((c) => batcher.reserve(input(c))));
    expect(calls.reserveMany).toEqual([['a', 'bad', 'c']]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'DB_ERR_CLIENT_ORDER_INVALID' });
  });

  it('cuts batches at maxBatch and keeps later turns apart', async () => {
    const { store, calls } = fakeStore();
    const batcher = createClientOrderBatcher(store, { maxBatch: 2 });
    await Promise.all(['a', 'b', 'c'].map((c) => batcher.reserve(input(c))));
    await batcher.reserve(input('d'));
    expect(calls.reserveMany).toEqual([['a', 'b'], ['c'], ['d']]);
  });

  it('holds what arrives while maxInFlight statements run and sends it as one batch after', async () => {
    const { store, calls } = fakeStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      ...store,
      reserveMany: async (inputs: readonly ClientOrderReservationInput[]) => {
        await gate;
        return store.reserveMany(inputs);
      },
    };
    const batcher = createClientOrderBatcher(slow, { maxInFlight: 1 });
    const first = batcher.reserve(input('a'));
    await new Promise((r) => setImmediate(r));
    const later = ['b', 'c', 'd'].map((c) => batcher.reserve(input(c)));
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([first, ...later]);
    expect(calls.reserveMany).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('marks a turn’s orders sent in one statement at the latest time asked', async () => {
    const { store, calls } = fakeStore();
    const batcher = createClientOrderBatcher(store);
    await Promise.all([batcher.markSent('u', 'a', new Date(5)), batcher.markSent('u', 'b', new Date(9))]);
    expect(calls.markSentMany).toEqual([{ keys: ['a', 'b'], at: 9 }]);
  });

  it('fails every request of a batch whose statement failed', async () => {
    const { store, fail } = fakeStore();
    fail(new Error('MySQL down'));
    const batcher = createClientOrderBatcher(store);
    const answers = await Promise.allSettled([batcher.reserve(input('a')), batcher.markSent('u', 'a', new Date(1))]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
  });
});
