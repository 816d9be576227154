import { connectTestMysql, createTestDatabase, type TestDatabase } from '@shardex/testing';
import { createApiKeyStore, createDb } from '@shardex/db';
import { run } from '../cli';
import { captureIo } from '../testing/capture-io';

/** The CLI as main.ts runs it: the real MySQL adapter; the URL from the flag or from env, as the test says. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const io = captureIo();
  const code = await run(argv, io, { env });
  return { code, out: io.outText, err: io.errText };
}

describe('orchestrator keys (real MySQL/MariaDB)', () => {
  let tdb: TestDatabase;

  beforeAll(async () => {
    // Empty: the first command must migrate it.
    tdb = await createTestDatabase('orchkeys');
  });

  afterAll(async () => {
    await tdb?.drop();
  });

  /** What the gateways see: the printed key against libs/db's store, on a pool of its own that is closed after. */
  async function verify(apiKey: string) {
    const db = createDb({ url: tdb.url });
    try {
      return await createApiKeyStore(db).verify(apiKey);
    } finally {
      await db.destroy();
    }
  }

  /**
   * Sessions on the test database, polled briefly: a destroyed pool's connections leave the server's process list
   * a moment after their COM_QUIT. A command that left its pool open would keep the process alive, and one here.
   */
  async function openSessions(): Promise<number> {
    const conn = await connectTestMysql();
    try {
      let n = -1;
      for (let attempt = 0; attempt < 50; attempt++) {
        const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [
          tdb.database,
        ]);
        n = Number((rows as Array<{ n: number | string }>)[0]?.n);
        if (n === 0) return 0;
        await new Promise((r) => setTimeout(r, 100));
      }
      return n;
    } finally {
      await conn.end();
    }
  }

  it('create → list → revoke → list, on a fresh database, closing its pool after every command', async () => {
    const created = await cli([
      'keys',
      'create',
      '--user',
      'user-1',
      '--label',
      'ops bot',
      '--json',
      '--mysql-url',
      tdb.url,
    ]);
    expect(created).toMatchObject({ code: 0, err: '' });
    const key = JSON.parse(created.out) as { keyId: string; userId: string; label: string; apiKey: string };
    expect(key).toEqual({
      keyId: expect.stringMatching(/^ak_[A-Za-z0-9_-]{16}$/),
      userId: 'user-1',
      label: 'ops bot',
      apiKey: expect.stringMatching(/^ak_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/),
    });
    expect(key.apiKey.startsWith(`${key.keyId}.`)).toBe(true);
    expect(await verify(key.apiKey)).toEqual({ keyId: key.keyId, userId: 'user-1' });

    // The human form of create, with the URL from MYSQL_URL this time.
    const other = await cli(['keys', 'create', '--user', 'user-2'], { MYSQL_URL: tdb.url });
    expect(other.code).toBe(0);
    expect(other.out).toMatch(/cannot be shown again/);
    const otherKey = /^ {2}(ak_\S+)$/m.exec(other.out)?.[1] ?? '';
    expect(await verify(otherKey)).toMatchObject({ userId: 'user-2' });

    const listed = await cli(['keys', 'list', '--user', 'user-1', '--json', '--mysql-url', tdb.url]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([
      { keyId: key.keyId, userId: 'user-1', label: 'ops bot', createdAt: expect.stringMatching(/Z$/), revokedAt: null },
    ]);

    const revoked = await cli(['keys', 'revoke', key.keyId, '--mysql-url', tdb.url]);
    expect(revoked).toMatchObject({ code: 0, err: '' });
    expect(revoked.out).toContain('API_KEY_CACHE_TTL_MS');
    expect(await verify(key.apiKey)).toBeUndefined();
    expect(await verify(otherKey)).toMatchObject({ userId: 'user-2' });

    const table = await cli(['keys', 'list', '--mysql-url', tdb.url]);
    expect(table.code).toBe(0);
    const rows = table.out.trimEnd().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.startsWith(key.keyId))).toMatch(/\s+user-1\s+ops bot\s+\S+Z\s+\S+Z$/);
    expect(rows.find((r) => r.includes('user-2'))).toMatch(/\s+-$/);
    for (const secret of [key.apiKey.split('.')[1], otherKey.split('.')[1]]) expect(table.out).not.toContain(secret);

    const again = await cli(['keys', 'revoke', key.keyId, '--mysql-url', tdb.url]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^ORCH_ERR_KEY_NOT_LIVE: no live API key /);

    expect(await openSessions()).toBe(0);
  });

  it("exits 1 with the store's code for a bad user id, and still closes its pool", async () => {
    const r = await cli(['keys', 'create', '--user', 'not a user id', '--mysql-url', tdb.url]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^DB_ERR_API_KEY_INVALID: user id must be /);
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(await openSessions()).toBe(0);
  });

  it('exits 1 with a one-line message when the server refuses the credentials', async () => {
    const bad = new URL(tdb.url);
    bad.password = 'wrong-password';
    const r = await cli(['keys', 'list', '--mysql-url', bad.href]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/Access denied/);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });
});
