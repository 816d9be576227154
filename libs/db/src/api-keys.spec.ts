import type { Knex } from 'knex';
import { createApiKeyStore, createApiKeyVerifier, parseApiKey, type VerifiedApiKey } from './api-keys';
import { DB_ERROR_CODES } from './errors';

const SECRET = 'A'.repeat(43);
const key = (n: number, secret = SECRET) => `ak_${String(n).padStart(16, '0')}.${secret}`;

/** A store that answers from a table of good keys, counts its lookups and can hold them open or fail them. */
function fakeStore(good: Record<string, string> = {}) {
  const calls: string[] = [];
  let gate: Promise<void> | undefined;
  let failure: Error | undefined;
  return {
    calls,
    good,
    hold() {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
    failWith(err: Error | undefined) {
      failure = err;
    },
    async verify(apiKey: unknown): Promise<VerifiedApiKey | undefined> {
      calls.push(String(apiKey));
      if (gate) await gate;
      if (failure) throw failure;
      const userId = good[String(apiKey)];
      return userId === undefined ? undefined : { keyId: String(apiKey).split('.')[0] ?? '', userId };
    },
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('parseApiKey', () => {
  it('splits an id and a secret shaped like the ones create makes', () => {
    expect(parseApiKey(key(1))).toEqual({ keyId: 'ak_0000000000000001', secret: SECRET });
    expect(parseApiKey(`ak_abcDEF-_12345678.${'x_-'.repeat(28) + 'yy'}`)).toBeDefined(); // 86 chars: 64 bytes
  });

  it.each([
    ['not a string', 42],
    ['undefined', undefined],
    ['an array (a repeated header)', [key(1)]],
    ['empty', ''],
    ['no dot', `ak_${'0'.repeat(16)}${SECRET}`],
    ['wrong prefix', `bk_${'0'.repeat(16)}.${SECRET}`],
    ['short id', `ak_${'0'.repeat(15)}.${SECRET}`],
    ['short secret', key(1, 'A'.repeat(42))],
    ['long secret', key(1, 'A'.repeat(87))],
    ['padding', key(1, `${'A'.repeat(42)}=`)],
    ['two dots', `${key(1)}.x`],
    ['a trailing newline', `${key(1)}\n`],
    ['huge', 'a'.repeat(1_000_000)],
  ])('refuses %s', (_what, input) => {
    expect(parseApiKey(input)).toBeUndefined();
  });
});

describe('createApiKeyStore input checks (before any query)', () => {
  // Any use of the database fails the test: input errors must come first.
  const db = (() => {
    throw new Error('database used');
  }) as unknown as Knex;
  const store = createApiKeyStore(db);

  it.each([
    ['empty', ''],
    ['too long', 'u'.repeat(65)],
    ['a space', 'user 1'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'usér'],
    ['not a string', 7],
  ])('refuses a user id that is %s with DB_ERR_API_KEY_INVALID', async (_what, userId) => {
    await expect(store.create({ userId: userId as string })).rejects.toMatchObject({ code: 'DB_ERR_API_KEY_INVALID' });
    await expect(store.list(userId as string)).rejects.toMatchObject({ code: 'DB_ERR_API_KEY_INVALID' });
  });

  it.each([
    ['empty', ''],
    ['too long', 'l'.repeat(129)],
    ['multi-line', 'a\nb'],
  ])('refuses a label that is %s', async (_what, label) => {
    await expect(store.create({ userId: 'u-1', label })).rejects.toMatchObject({ code: 'DB_ERR_API_KEY_INVALID' });
  });

  it('answers a malformed key without a query, and revokes nothing for an impossible id', async () => {
    await expect(store.verify('garbage')).resolves.toBeUndefined();
    await expect(store.verify(null)).resolves.toBeUndefined();
    await expect(store.revoke('')).resolves.toBe(false);
  });

  it.each([16, 31, 65, 32.5])('refuses secretBytes = %s', (secretBytes) => {
    expect(() => createApiKeyStore(db, { secretBytes })).toThrow(expect.objectContaining({ code: 'DB_ERR_CONFIG' }));
  });

  it('documents its error code', () => {
    expect(DB_ERROR_CODES.DB_ERR_API_KEY_INVALID.length).toBeGreaterThan(15);
  });
});

describe('createApiKeyVerifier', () => {
  it('answers a good key from memory until ttlMs after its lookup started, then asks again', async () => {
    const store = fakeStore({ [key(1)]: 'u1' });
    const c = clock();
    const verifier = createApiKeyVerifier(store, { ttlMs: 2_000, now: c.now });
    expect(await verifier.verify(key(1))).toEqual({ keyId: 'ak_0000000000000001', userId: 'u1' });
    c.advance(1_999);
    expect(await verifier.verify(key(1))).toEqual({ keyId: 'ak_0000000000000001', userId: 'u1' });
    expect(store.calls).toHaveLength(1);
    // Revoked meanwhile: seen as soon as the entry is ttlMs old.
    delete store.good[key(1)];
    c.advance(1);
    expect(await verifier.verify(key(1))).toBeUndefined();
    expect(store.calls).toHaveLength(2);
  });

  it('caches negative results too, for ttlMs', async () => {
    const store = fakeStore();
    const c = clock();
    const verifier = createApiKeyVerifier(store, { ttlMs: 500, now: c.now });
    for (let i = 0; i < 100; i++) expect(await verifier.verify(key(9))).toBeUndefined();
    expect(store.calls).toHaveLength(1);
    store.good[key(9)] = 'u9'; // e.g. created after a client tried it
    c.advance(500);
    expect(await verifier.verify(key(9))).toMatchObject({ userId: 'u9' });
    expect(store.calls).toHaveLength(2);
  });

  it('refuses malformed keys without asking the store or filling the cache', async () => {
    const store = fakeStore();
    const verifier = createApiKeyVerifier(store);
    for (const bad of ['', 'x', `${key(1)}\n`, 17, undefined, { toString: () => key(1) }])
      expect(await verifier.verify(bad)).toBeUndefined();
    expect(store.calls).toEqual([]);
  });

  it('holds at most maxEntries bad keys, evicting the oldest, and never evicts good keys for them', async () => {
    const store = fakeStore({ [key(0)]: 'u0' });
    const c = clock();
    const verifier = createApiKeyVerifier(store, { maxEntries: 3, now: c.now });
    await verifier.verify(key(0));
    for (let i = 1; i <= 4; i++) await verifier.verify(key(i)); // 1 goes when 4 comes
    expect(store.calls).toHaveLength(5);
    await verifier.verify(key(0));
    for (const i of [2, 3, 4]) await verifier.verify(key(i));
    expect(store.calls).toHaveLength(5); // all still cached
    await verifier.verify(key(1));
    expect(store.calls).toHaveLength(6); // evicted, asked again (and now 2 is out)
    await verifier.verify(key(2));
    expect(store.calls).toHaveLength(7);
  });

  it('bounds the good keys as well', async () => {
    const store = fakeStore({ [key(1)]: 'u1', [key(2)]: 'u2', [key(3)]: 'u3' });
    const verifier = createApiKeyVerifier(store, { maxEntries: 2, now: clock().now });
    for (const i of [1, 2, 3, 2, 3]) await verifier.verify(key(i));
    expect(store.calls).toHaveLength(3);
    await verifier.verify(key(1));
    expect(store.calls).toHaveLength(4);
  });

  it('shares one lookup among concurrent verifies of the same key', async () => {
    const store = fakeStore({ [key(1)]: 'u1' });
    const verifier = createApiKeyVerifier(store, { now: clock().now });
    const release = store.hold();
    const pending = Array.from({ length: 50 }, () => verifier.verify(key(1)));
    const other = verifier.verify(key(2));
    await new Promise((r) => setImmediate(r));
    expect(store.calls).toEqual([key(1), key(2)]);
    release();
    const results = await Promise.all(pending);
    expect(results.every((r) => r?.userId === 'u1')).toBe(true);
    expect(await other).toBeUndefined();
    expect(store.calls).toHaveLength(2);
  });

  it('does not cache a failed lookup: every sharer gets the error, the next call asks again', async () => {
    const store = fakeStore({ [key(1)]: 'u1' });
    const verifier = createApiKeyVerifier(store, { now: clock().now });
    store.failWith(new Error('database down'));
    const release = store.hold();
    const a = verifier.verify(key(1));
    const b = verifier.verify(key(1));
    release();
    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    store.failWith(undefined);
    expect(await verifier.verify(key(1))).toMatchObject({ userId: 'u1' });
    expect(store.calls).toHaveLength(2);
  });

  it('does not cache a result that is already ttlMs old when it arrives', async () => {
    const store = fakeStore({ [key(1)]: 'u1' });
    const c = clock();
    const verifier = createApiKeyVerifier(store, { ttlMs: 100, now: c.now });
    const release = store.hold();
    const slow = verifier.verify(key(1));
    c.advance(150);
    release();
    expect(await slow).toMatchObject({ userId: 'u1' });
    await verifier.verify(key(1));
    expect(store.calls).toHaveLength(2);
  });

  it('with ttlMs = 0 asks every time', async () => {
    const store = fakeStore({ [key(1)]: 'u1' });
    const verifier = createApiKeyVerifier(store, { ttlMs: 0, now: clock().now });
    await verifier.verify(key(1));
    await verifier.verify(key(1));
    expect(store.calls).toHaveLength(2);
  });

  it('keys its cache by a digest, never the presented secret', async () => {
    const store = fakeStore({ [key(1)]: 'u1' });
    const spy = jest.spyOn(Map.prototype, 'set');
    try {
      const verifier = createApiKeyVerifier(store, { now: clock().now });
      await verifier.verify(key(1));
      const keys = spy.mock.calls.map(([k]) => String(k));
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.includes(SECRET.slice(0, 16)))).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it.each([[{ ttlMs: -1 }], [{ ttlMs: Number.NaN }], [{ maxEntries: 0 }], [{ maxEntries: 1.5 }]])(
    'refuses %j',
    (options) => {
      expect(() => createApiKeyVerifier(fakeStore(), options)).toThrow(
        expect.objectContaining({ code: 'DB_ERR_CONFIG' }),
      );
    },
  );
});
