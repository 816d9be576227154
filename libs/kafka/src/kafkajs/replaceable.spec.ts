import { createReplaceable } from './replaceable';

// The producer's self-replacement, over fake instances: a failed connect is never kept, a broken instance is
// swapped for a fresh one and disposed of only when its last user is done.

interface Fake {
  id: number;
  disposed: boolean;
}

function harness(failFirst = 0) {
  let created = 0;
  let failures = failFirst;
  const made: Fake[] = [];
  const r = createReplaceable<Fake>({
    async create() {
      created++;
      if (failures > 0) {
        failures--;
        throw new Error('connect ECONNREFUSED');
      }
      const f = { id: created, disposed: false };
      made.push(f);
      return f;
    },
    async dispose(f) {
      f.disposed = true;
    },
    closedError: () => new Error('closed'),
  });
  r.reopen();
  return { r, made, created: () => created };
}

describe('replaceable connection', () => {
  it('does not keep a failed connect: the next acquire tries again and succeeds', async () => {
    const { r, created } = harness(2);
    await expect(r.acquire()).rejects.toThrow('ECONNREFUSED');
    await expect(r.acquire()).rejects.toThrow('ECONNREFUSED');
    const f = await r.acquire();
    expect(f.id).toBe(3);
    expect(created()).toBe(3);
    r.release(f);
  });

  it('shares one creation between concurrent acquirers', async () => {
    const { r, created } = harness();
    const [a, b] = await Promise.all([r.acquire(), r.acquire()]);
    expect(a).toBe(b);
    expect(created()).toBe(1);
  });

  it('replaces a broken instance, disposing of it only after its last user releases it', async () => {
    const { r } = harness();
    const a = await r.acquire();
    const a2 = await r.acquire();
    r.replace(a);
    const b = await r.acquire();
    expect(b).not.toBe(a);
    expect(a.disposed).toBe(false); // still in use twice
    r.release(a);
    expect(a.disposed).toBe(false);
    r.release(a2);
    await Promise.resolve();
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(false);
    r.replace(a); // an old instance reported broken again changes nothing
    expect(await r.acquire()).toBe(b);
  });

  it('keeps retrying creation after a replacement whose connect fails', async () => {
    let fail = false;
    let n = 0;
    const r = createReplaceable<{ n: number }>({
      async create() {
        n++;
        if (fail) throw new Error('broker down');
        return { n };
      },
      dispose: async () => undefined,
      closedError: () => new Error('closed'),
    });
    r.reopen();
    const first = await r.acquire();
    r.release(first);
    fail = true;
    r.replace(first);
    await expect(r.acquire()).rejects.toThrow('broker down');
    await expect(r.acquire()).rejects.toThrow('broker down');
    fail = false; // the broker is back
    const next = await r.acquire();
    expect(next.n).toBe(4);
  });

  it('refuses to hand out instances once closed, and disposes of all', async () => {
    const { r, made } = harness();
    const a = await r.acquire();
    r.release(a);
    await r.close();
    expect(made.every((f) => f.disposed)).toBe(true);
    await expect(r.acquire()).rejects.toThrow('closed');
  });
});
