import { createHash } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shardex/testing';
import { API_KEYS_TABLE, createApiKeyStore, createApiKeyVerifier, createDb, type Knex, migrateLatest } from './index';

describe('API keys (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    tdb = await createTestDatabase('apikeys');
    db = createDb({ url: tdb.url });
    await migrateLatest(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('issues a key that verifies to its owner, and only with the right secret', async () => {
    const store = createApiKeyStore(db);
    const created = await store.create({ userId: 'user-1', label: 'trading bot' });
    expect(created.keyId).toMatch(/^ak_[A-Za-z0-9_-]{16}$/);
    expect(Buffer.from(created.secret, 'base64url')).toHaveLength(32);
    expect(created.apiKey).toBe(`${created.keyId}.${created.secret}`);
    expect(await store.verify(created.apiKey)).toEqual({ keyId: created.keyId, userId: 'user-1' });

    const last = created.secret.at(-1) === 'A' ? 'B' : 'A';
    const wrongSecret = `${created.keyId}.${created.secret.slice(0, -1)}${last}`;
    const otherKeysSecret = `${(await store.create({ userId: 'user-1' })).keyId}.${created.secret}`;
    const unknownId = `ak_${'Z'.repeat(16)}.${created.secret}`;
    for (const bad of [wrongSecret, otherKeysSecret, unknownId, created.keyId, created.secret, '', 'x.y', undefined])
      expect(await store.verify(bad)).toBeUndefined();
  });

  it('revokes a key once, after which it no longer verifies', async () => {
    const store = createApiKeyStore(db);
    const { keyId, apiKey } = await store.create({ userId: 'user-2' });
    const other = await store.create({ userId: 'user-2' });
    expect(await store.revoke(keyId)).toBe(true);
    expect(await store.revoke(keyId)).toBe(false);
    expect(await store.revoke('ak_doesnotexist0000')).toBe(false);
    expect(await store.verify(apiKey)).toBeUndefined();
    expect(await store.verify(other.apiKey)).toMatchObject({ userId: 'user-2' }); // the user's other key lives on
  });

  it("lists a user's keys, or everyone's, without secrets or digests", async () => {
    const store = createApiKeyStore(db);
    const a = await store.create({ userId: 'user-3', label: 'read-only' });
    const b = await store.create({ userId: 'user-3' });
    await store.create({ userId: 'user-4' });
    await store.revoke(b.keyId);

    const mine = await store.list('user-3');
    expect(mine.map((k) => k.keyId).sort()).toEqual([a.keyId, b.keyId].sort());
    const byId = Object.fromEntries(mine.map((k) => [k.keyId, k]));
    expect(byId[a.keyId]).toEqual({
      keyId: a.keyId,
      userId: 'user-3',
      label: 'read-only',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      revokedAt: null,
    });
    expect(Math.abs(Date.parse(byId[a.keyId]?.createdAt ?? '') - Date.now())).toBeLessThan(60_000);
    expect(byId[b.keyId]).toMatchObject({ label: null, revokedAt: expect.stringMatching(/Z$/) });
    expect(await store.list('User-3')).toEqual([]); // ids are case-sensitive

    const all = await store.list();
    expect(new Set(all.map((k) => k.userId))).toEqual(new Set(['user-1', 'user-2', 'user-3', 'user-4']));
    const text = JSON.stringify(all);
    expect(text).not.toContain(a.secret);
    expect(text).not.toContain(createHash('sha256').update(a.secret).digest('hex'));
    expect(text).not.toContain(createHash('sha256').update(a.secret).digest('base64'));
  });

  it('stores only the SHA-256 of the secret, never the secret itself', async () => {
    const store = createApiKeyStore(db);
    const { keyId, secret, apiKey } = await store.create({ userId: 'user-5', label: 'audit' });
    const row = (await db(API_KEYS_TABLE).where({ key_id: keyId }).first()) as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(
      ['created_at', 'key_id', 'label', 'revoked_at', 'secret_hash', 'user_id'].sort(),
    );
    expect(Buffer.compare(row['secret_hash'] as Buffer, createHash('sha256').update(secret).digest())).toBe(0);
    const [[dump]] = (await db.raw(
      `SELECT CONCAT_WS('|', key_id, user_id, HEX(secret_hash), secret_hash, label) AS t FROM ?? WHERE key_id = ?`,
      [API_KEYS_TABLE, keyId],
    )) as [[{ t: Buffer | string }]];
    const stored = Buffer.isBuffer(dump.t) ? dump.t.toString('latin1') : dump.t;
    expect(stored).toContain(keyId);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(apiKey);
    expect(stored.toLowerCase()).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
  });

  it('verifies through the cache: a revocation is seen within ttlMs, and repeated keys do not reach the database', async () => {
    const store = createApiKeyStore(db);
    let lookups = 0;
    const counting = {
      verify: (k: unknown) => {
        lookups++;
        return store.verify(k);
      },
    };
    const verifier = createApiKeyVerifier(counting, { ttlMs: 1_000 });
    const { keyId, apiKey } = await store.create({ userId: 'user-6' });
    const bad = `ak_${'Q'.repeat(16)}.${'q'.repeat(43)}`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => verifier.verify(i % 2 ? apiKey : bad)));
    expect(results.filter((r) => r?.userId === 'user-6')).toHaveLength(10);
    expect(results.filter((r) => r === undefined)).toHaveLength(10);
    expect(lookups).toBe(2);

    expect(await store.revoke(keyId)).toBe(true);
    const revokedAt = Date.now();
    expect(await verifier.verify(apiKey)).toMatchObject({ userId: 'user-6' }); // still cached, by design
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() - revokedAt) + 20));
    expect(await verifier.verify(apiKey)).toBeUndefined();
    expect(lookups).toBe(3);
  });

  it('keeps ids unique and the listing index in place', async () => {
    const store = createApiKeyStore(db, { secretBytes: 48 });
    const keys = await Promise.all(Array.from({ length: 50 }, () => store.create({ userId: 'user-7' })));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(50);
    expect(Buffer.from(keys[0]?.secret ?? '', 'base64url')).toHaveLength(48);
    expect(await createApiKeyStore(db).verify(keys[0]?.apiKey)).toMatchObject({ userId: 'user-7' });
    const [plan] = (await db.raw('EXPLAIN SELECT key_id FROM ?? WHERE user_id = ? ORDER BY created_at', [
      API_KEYS_TABLE,
      'user-7',
    ])) as [Array<{ possible_keys: string | null }>];
    expect(plan[0]?.possible_keys ?? '').toContain('ix_api_keys_user_created');
  });
});
