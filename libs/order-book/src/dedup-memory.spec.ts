import fc from 'fast-check';
import { DedupMemory, hashId } from './dedup-memory';

/** FNV-1a 32-bit and murmur3's fmix32, written independently (BigInt arithmetic) as the reference. */
function referenceHash(s: string): number {
  const M = 2n ** 32n;
  let h = 0x811c9dc5n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x01000193n) % M;
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) % M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) % M;
  h ^= h >> 16n;
  return Number(BigInt.asIntN(32, h));
}

describe('hashId', () => {
  it('is FNV-1a followed by the murmur3 finaliser', () => {
    expect(hashId('')).toBe(referenceHash(''));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => expect(hashId(s)).toBe(referenceHash(s))),
    );
  });

  it('spreads sequential ids over the low bits (the slots)', () => {
    const slots = new Set<number>();
    for (let i = 0; i < 1024; i++) slots.add(hashId(`c${i}`) & 1023);
    // A uniform hash fills about 1 - 1/e of 1024 slots with 1024 keys.
    expect(slots.size).toBeGreaterThan(600);
  });
});

type Entry = { time: number; commandId: string; orderId?: string };

describe('DedupMemory against a plain model', () => {
  // Few ids and hashes drawn from a handful of values, some near the end of the table, force collisions, long probe
  // runs and runs that wrap around; a bulk step makes the ring grow past its first capacity.
  const op = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('add' as const), id: fc.nat(60), dt: fc.integer({ min: -3, max: 4 }) }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('accept' as const), id: fc.nat(60) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('expire' as const), back: fc.nat(12) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('bulk' as const), count: fc.integer({ min: 900, max: 1_500 }) }),
    },
  );
  const hashes = fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 2040, max: 2047 }),
      fc.integer({ min: -8, max: -1 }),
      fc.integer(),
    ),
    {
      minLength: 61,
      maxLength: 61,
    },
  );

  it('remembers and forgets exactly what the model does', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), hashes, (ops, hs) => {
        const hashOf = (id: string) => {
          const n = Number(id.slice(1));
          return id.startsWith('b') ? n : (hs[n % 61] as number);
        };
        const memory = new DedupMemory();
        let model: Entry[] = [];
        let now = 100;
        let fresh = 0;
        const check = () => {
          expect(memory.entries()).toEqual(
            model.map((e) => (e.orderId === undefined ? [e.time, e.commandId] : [e.time, e.commandId, e.orderId])),
          );
          expect(memory.oldestTime()).toBe(model[0]?.time);
          const commands = new Set(model.map((e) => e.commandId));
          const orders = new Set(model.map((e) => e.orderId));
          for (let n = 0; n <= 60; n++) {
            expect(memory.hasCommand(`c${n}`, hashOf(`c${n}`))).toBe(commands.has(`c${n}`));
            expect(memory.hasOrder(`o${n}`, hashOf(`o${n}`))).toBe(orders.has(`o${n}`));
          }
        };
        for (const o of ops) {
          if (o.kind === 'add') {
            const id = `c${o.id}`;
            if (model.some((e) => e.commandId === id)) continue;
            now += o.dt;
            memory.add(now, id, hashOf(id));
            model.push({ time: now, commandId: id });
          } else if (o.kind === 'accept') {
            const id = `o${o.id}`;
            const newest = model[model.length - 1];
            if (!newest || newest.orderId !== undefined || model.some((e) => e.orderId === id)) continue;
            memory.acceptNewest(id, hashOf(id));
            newest.orderId = id;
          } else if (o.kind === 'expire') {
            const horizon = now - o.back;
            memory.expireBefore(horizon);
            let drop = 0;
            while (drop < model.length && (model[drop] as Entry).time < horizon) drop++;
            model = model.slice(drop);
          } else {
            // Many distinct ids ('b…', hashed to their number), all with the current time.
            for (let k = 0; k < o.count; k++) {
              const id = `b${fresh++}`;
              memory.add(now, id, hashOf(id));
              model.push({ time: now, commandId: id });
            }
          }
          if (o.kind !== 'bulk') check();
        }
        check();
      }),
      { numRuns: fc.readConfigureGlobal().numRuns ?? 100 },
    );
  });

  it('finds nothing in an empty memory and keeps time order across growth', () => {
    const memory = new DedupMemory();
    expect(memory.oldestTime()).toBeUndefined();
    expect(memory.hasCommand('x', hashId('x'))).toBe(false);
    for (let i = 0; i < 5_000; i++) memory.add(i, `k${i}`, hashId(`k${i}`));
    memory.acceptNewest('o', hashId('o'));
    expect(memory.entries().length).toBe(5_000);
    expect(memory.hasCommand('k0', hashId('k0'))).toBe(true);
    expect(memory.hasCommand('k4999', hashId('k4999'))).toBe(true);
    memory.expireBefore(4_999);
    expect(memory.entries()).toEqual([[4_999, 'k4999', 'o']]);
    expect(memory.hasCommand('k0', hashId('k0'))).toBe(false);
    expect(memory.hasOrder('o', hashId('o'))).toBe(true);
    memory.expireBefore(5_000);
    expect(memory.oldestTime()).toBeUndefined();
    expect(memory.hasOrder('o', hashId('o'))).toBe(false);
  });
});
