import { Cleanup } from './cleanup';

describe('cleanup', () => {
  it('undoes in reverse order, goes on past a failure and reports it, and runs each step once', async () => {
    const order: string[] = [];
    const lines: string[] = [];
    const c = new Cleanup();
    c.defer('database', async () => order.push('database'));
    c.defer('topics', async () => {
      throw new Error('broker away');
    });
    c.defer('processes', async () => order.push('processes'));
    expect(await c.run((l) => lines.push(l))).toEqual(['topics']);
    expect(order).toEqual(['processes', 'database']);
    expect(lines).toEqual(['  cleanup: topics failed: broker away']);
    expect(await c.run(() => undefined)).toEqual([]);
    expect(order).toHaveLength(2);
  });
});
