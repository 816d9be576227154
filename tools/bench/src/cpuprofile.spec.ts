import { type CpuProfile, packageOf, sourceMapLookup, summarizeCpuProfile } from './cpuprofile';

const frame = (functionName: string, url = '', lineNumber = -1, columnNumber = -1) => ({
  functionName,
  url,
  lineNumber,
  columnNumber,
});

// Eight samples of 1 ms: idle 1, fastify 2, our bundle 2 (one function), GC 1, Node's sockets 1, V8 itself 1.
const PROFILE: CpuProfile = {
  startTime: 0,
  endTime: 8_000,
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 5, 6, 7] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(garbage collector)') },
    { id: 4, callFrame: frame('handle', 'file:///repo/node_modules/fastify/lib/route.js', 9, 2) },
    { id: 5, callFrame: frame('applyMessage', 'file:///repo/dist/apps/engine/main.js', 0, 12) },
    { id: 6, callFrame: frame('writeGeneric', 'node:internal/stream_base_commons', 120, 0) },
    { id: 7, callFrame: frame('(program)') },
  ],
  samples: [2, 4, 4, 5, 3, 6, 7, 5],
  timeDeltas: [0, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
};

describe('cpuprofile summary', () => {
  const resolve = (url: string, line: number) =>
    url.endsWith('/dist/apps/engine/main.js') && line === 0
      ? { source: 'apps/matching-engine/src/shard-engine.ts', line: 420 }
      : undefined;
  const s = summarizeCpuProfile(PROFILE, { root: '/repo', resolve });

  it('attributes each sample until the next one, and keeps idle out of the busy time', () => {
    expect(s).toMatchObject({ totalMs: 8, idleMs: 1, busyMs: 7, gcMs: 1 });
  });

  it('aggregates self time by function, through the bundle’s source map', () => {
    expect(s.functions.slice(0, 2).map((f) => [f.name, f.selfMs])).toEqual(
      expect.arrayContaining([
        ['handle node_modules/fastify/lib/route.js:10', 2],
        ['applyMessage apps/matching-engine/src/shard-engine.ts:420', 2],
      ]),
    );
    expect(s.functions.find((f) => f.name.startsWith('handle'))?.share).toBeCloseTo(2 / 7, 5);
  });

  it('aggregates by package and by file', () => {
    expect(Object.fromEntries(s.packages.map((p) => [p.name, p.selfMs]))).toEqual({
      fastify: 2,
      'apps/matching-engine': 2,
      '(garbage collector)': 1,
      'node:internal/stream_base_commons': 1,
      '(program: V8 and native code outside JS functions)': 1,
    });
    expect(s.files.map((f) => f.name)).toContain('apps/matching-engine/src/shard-engine.ts');
  });

  it('cuts the profile to a window of its clock', () => {
    // Samples 2-5 lie in [2 ms, 6 ms): fastify's second, the bundle's first, GC, Node's sockets.
    const w = summarizeCpuProfile(PROFILE, { root: '/repo', resolve, window: { startUs: 2_000, endUs: 6_000 } });
    expect(w).toMatchObject({ totalMs: 4, idleMs: 0, busyMs: 4, gcMs: 1 });
    expect(w.packages.find((p) => p.name === 'fastify')?.selfMs).toBe(1);
    // A window that starts inside a sample counts only its part.
    const part = summarizeCpuProfile(PROFILE, { root: '/repo', window: { startUs: 1_500, endUs: 2_000 } });
    expect(part.functions[0]).toMatchObject({ name: 'handle node_modules/fastify/lib/route.js:10', selfMs: 0.5 });
  });

  it('falls back to hit counts when a profile has no samples', () => {
    const old = summarizeCpuProfile(
      {
        startTime: 0,
        endTime: 4_000,
        nodes: [
          { id: 1, callFrame: frame('(idle)'), hitCount: 1 },
          { id: 2, callFrame: frame('f', 'file:///repo/x.js', 0, 0), hitCount: 3 },
        ],
      },
      { root: '/repo' },
    );
    expect(old).toMatchObject({ totalMs: 4, idleMs: 1, busyMs: 3 });
    expect(old.functions[0]).toMatchObject({ name: 'f x.js:1', selfMs: 3, share: 1 });
  });
});

describe('packageOf', () => {
  it('names npm packages, scoped ones, workspace projects and Node.js core areas', () => {
    expect(packageOf('node_modules/kafkajs/src/index.js')).toBe('kafkajs');
    expect(packageOf('node_modules/a/node_modules/@fastify/ajv-compiler/index.js')).toBe('@fastify/ajv-compiler');
    expect(packageOf('libs/order-book/src/order-book.ts')).toBe('libs/order-book');
    expect(packageOf('node:internal/streams/readable')).toBe('node:internal/streams');
    expect(packageOf('')).toBe('(native)');
  });
});

describe('source map lookup', () => {
  // Line 0: column 0 → a.ts 1:1, column 10 → b.ts 6:3; line 1: column 0 → a.ts 7:3.
  const lookup = sourceMapLookup(
    { sources: ['../../../libs/a/src/a.ts', '../../../libs/b/src/b.ts'], mappings: 'AAAA,UCKE;ADCA' },
    '/repo/dist/apps/x',
    '/repo',
  );

  it('maps a generated position to the segment at or before it', () => {
    expect(lookup(0, 0)).toEqual({ source: 'libs/a/src/a.ts', line: 1 });
    expect(lookup(0, 9)).toEqual({ source: 'libs/a/src/a.ts', line: 1 });
    expect(lookup(0, 10)).toEqual({ source: 'libs/b/src/b.ts', line: 6 });
    expect(lookup(0, 500)).toEqual({ source: 'libs/b/src/b.ts', line: 6 });
    expect(lookup(1, 3)).toEqual({ source: 'libs/a/src/a.ts', line: 7 });
    expect(lookup(7, 0)).toBeUndefined();
  });
});
