import { type CliDeps, run } from '../cli';
import { captureIo } from '../testing/capture-io';
import { createInMemoryKeyStore, fakeKeyStoreOpener, type InMemoryKeyStore } from '../testing/in-memory-key-store';
import type { KeyAdminStore } from './key-store.port';

const URL_A = 'mysql://ops:pw@db-a:3306/shardex';

/** The CLI on an in-memory store, MYSQL_URL set unless the test says otherwise. */
function setup({ env = { MYSQL_URL: URL_A } as CliDeps['env'], store = createInMemoryKeyStore() } = {}) {
  const opener = fakeKeyStoreOpener(store);
  const deps: CliDeps = { env, openKeyStore: opener.open };
  const cli = async (...argv: string[]) => {
    const io = captureIo();
    const code = await run(argv, io, deps);
    return { code, out: io.outText, err: io.errText };
  };
  return { cli, opener, store };
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('keys create', () => {
  it('prints the key once, its id, and that it cannot be shown again', async () => {
    const { cli, opener, store } = setup();
    const r = await cli('keys', 'create', '--user', 'user-1', '--label', 'trading bot');
    expect(r).toMatchObject({ code: 0, err: '' });
    const [issued] = [...store.issued.values()];
    expect(issued).toMatchObject({ userId: 'user-1', label: 'trading bot' });
    const apiKey = `${issued?.keyId}.${issued?.secret}`;
    expect(r.out.split(apiKey)).toHaveLength(2); // exactly once
    expect(r.out).toContain(`Created API key ${issued?.keyId} for user user-1 (label: trading bot)`);
    expect(r.out).toMatch(/cannot be shown again/);
    expect(opener.openedWith).toEqual([URL_A]);
    expect(opener.closed()).toBe(1);
  });

  it('--json prints one JSON object and nothing else', async () => {
    const { cli, store } = setup();
    const r = await cli('keys', 'create', '--user', 'user-1', '--json');
    expect(r.code).toBe(0);
    expect(r.out.endsWith('\n')).toBe(true);
    expect(r.out.trimEnd().split('\n')).toHaveLength(1);
    const [issued] = [...store.issued.values()];
    expect(JSON.parse(r.out)).toEqual({
      keyId: issued?.keyId,
      userId: 'user-1',
      label: null,
      apiKey: `${issued?.keyId}.${issued?.secret}`,
    });
  });

  it('exits 2 without --user, before opening the database', async () => {
    const { cli, opener } = setup();
    const r = await cli('keys', 'create');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--user/);
    expect(opener.openedWith).toEqual([]);
  });

  it("exits 1 with the store's code and message for a bad user id or label, and closes the pool", async () => {
    const { cli, opener, store } = setup();
    for (const argv of [
      ['--user', 'no spaces please'],
      ['--user', 'user-1', '--label', ''],
    ]) {
      const r = await cli('keys', 'create', ...argv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^DB_ERR_API_KEY_INVALID: (user id|label) must be .+\n$/);
      noStack(r.err);
      expect(r.out).toBe('');
    }
    expect(store.issued.size).toBe(0);
    expect(opener.closed()).toBe(2);
  });
});

describe('the MySQL URL of the keys commands', () => {
  it('comes from --mysql-url over MYSQL_URL', async () => {
    const { cli, opener } = setup();
    const other = 'mysql://ops:pw@db-b:3307/keys';
    expect((await cli('keys', 'list', '--mysql-url', other)).code).toBe(0);
    expect((await cli('keys', 'list')).code).toBe(0);
    expect(opener.openedWith).toEqual([other, URL_A]);
  });

  it.each([[['keys', 'create', '--user', 'u']], [['keys', 'list']], [['keys', 'revoke', 'ak_0000000000000001']]])(
    'is a usage error (exit 2) naming MYSQL_URL when missing: %j',
    async (argv) => {
      const { cli, opener } = setup({ env: {} });
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^ORCH_ERR_USAGE: no MySQL URL: pass --mysql-url or set MYSQL_URL/);
      expect(opener.openedWith).toEqual([]);
    },
  );

  it('is a usage error (exit 2) naming its source when malformed, without its password', async () => {
    const { cli, opener } = setup({ env: { MYSQL_URL: 'mysql://ops:s3cret@db-a:3306' } });
    const fromEnv = await cli('keys', 'list');
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.err).toContain('MYSQL_URL must be mysql://user:password@host:port/database');
    const fromFlag = await cli('keys', 'list', '--mysql-url', 'ops:s3cret@db-a/shardex');
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.err).toContain('--mysql-url must be');
    expect(fromEnv.err + fromFlag.err).not.toContain('s3cret');
    expect(opener.openedWith).toEqual([]);
  });
});

describe('keys list', () => {
  async function withKeys() {
    const s = setup();
    const a = await s.store.create({ userId: 'user-1', label: 'trading bot' });
    const b = await s.store.create({ userId: 'user-2' });
    await s.store.create({ userId: 'user-1' });
    await s.store.revoke(b.keyId);
    return { ...s, a, b };
  }

  it('prints a table of every key, never a secret', async () => {
    const { cli, store, a, b } = await withKeys();
    const r = await cli('keys', 'list');
    expect(r).toMatchObject({ code: 0, err: '' });
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY ID\s+USER ID\s+LABEL\s+CREATED\s+REVOKED$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${a.keyId}\\s+user-1\\s+trading bot\\s+2030-01-02T03:04:05\\.006Z\\s+-$`));
    expect(lines[2]).toMatch(new RegExp(`^${b.keyId}\\s+user-2\\s+-\\s+\\S+Z\\s+2030-01-02T03:04:05\\.006Z$`));
    // Columns line up: each header starts where its cells do.
    const created = lines[0]?.indexOf('CREATED');
    for (const line of lines.slice(1)) expect(line.indexOf('2030-')).toBe(created);
    for (const { secret } of store.issued.values()) expect(r.out).not.toContain(secret);
  });

  it("--user lists one user's keys; --json prints an array of the listed fields only", async () => {
    const { cli, store } = await withKeys();
    const r = await cli('keys', 'list', '--user', 'user-1', '--json');
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.out) as unknown[];
    expect(listed).toHaveLength(2);
    for (const k of listed) {
      expect(Object.keys(k as object).sort()).toEqual(['createdAt', 'keyId', 'label', 'revokedAt', 'userId']);
      expect(k).toMatchObject({ userId: 'user-1', revokedAt: null });
    }
    for (const { secret } of store.issued.values()) expect(r.out).not.toContain(secret);
  });

  it('says so when there are no keys', async () => {
    const { cli } = setup();
    expect(await cli('keys', 'list')).toMatchObject({ code: 0, out: 'No API keys.\n' });
    expect(await cli('keys', 'list', '--user', 'nobody')).toMatchObject({
      code: 0,
      out: 'No API keys for user nobody.\n',
    });
    expect(await cli('keys', 'list', '--json')).toMatchObject({ code: 0, out: '[]\n' });
  });

  it('exits 1 with the code for an invalid user id', async () => {
    const { cli } = setup();
    const r = await cli('keys', 'list', '--user', 'a/b');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^DB_ERR_API_KEY_INVALID: /);
  });
});

describe('keys revoke', () => {
  it('revokes a live key, exit 0, and says gateways stop accepting it within their cache ttl', async () => {
    const { cli, store, opener } = setup();
    const { keyId } = await store.create({ userId: 'user-1' });
    const r = await cli('keys', 'revoke', keyId);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      `Revoked ${keyId}. Gateways stop accepting it within their API key cache ttl (API_KEY_CACHE_TTL_MS, default 2 s).\n`,
    );
    expect(store.issued.get(keyId)?.revokedAt).not.toBeNull();
    expect(opener.closed()).toBe(1);
  });

  it('exits 1 with a clear message for an unknown or already revoked key, and closes the pool', async () => {
    const { cli, store, opener } = setup();
    const { keyId } = await store.create({ userId: 'user-1' });
    expect((await cli('keys', 'revoke', keyId)).code).toBe(0);
    for (const id of [keyId, 'ak_doesnotexist0000']) {
      const r = await cli('keys', 'revoke', id);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        `ORCH_ERR_KEY_NOT_LIVE: no live API key ${id}: no key has that id, or it was already revoked (keys list shows which)\n`,
      );
    }
    expect(opener.closed()).toBe(3);
  });

  it('exits 2 without a key id', async () => {
    const { cli } = setup();
    const r = await cli('keys', 'revoke');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing required argument 'keyId'/);
  });
});

describe('failures of the database', () => {
  const failing = (message: string): KeyAdminStore => ({
    create: () => Promise.reject(new Error(message)),
    list: () => Promise.reject(new Error(message)),
    revoke: () => Promise.reject(new Error(message)),
  });

  it.each([[['keys', 'create', '--user', 'u']], [['keys', 'list']], [['keys', 'revoke', 'ak_0000000000000001']]])(
    'exit 1 with the message, no stack, the pool closed: %j',
    async (argv) => {
      const { cli, opener } = setup({ store: failing('connect ECONNREFUSED 10.0.0.1:3306') as InMemoryKeyStore });
      const r = await cli(...argv);
      expect(r).toMatchObject({ code: 1, out: '', err: 'connect ECONNREFUSED 10.0.0.1:3306\n' });
      expect(opener.closed()).toBe(1);
    },
  );

  it('a store that fails to open (a failed migration) is exit 1 with its message', async () => {
    const io = captureIo();
    const code = await run(['keys', 'list'], io, {
      env: { MYSQL_URL: URL_A },
      openKeyStore: () => Promise.reject(new Error('DB_ERR_MIGRATION: ALTER command denied')),
    });
    expect(code).toBe(1);
    expect(io.errText).toBe('DB_ERR_MIGRATION: ALTER command denied\n');
  });

  it('reports the error of the command, not of closing the pool after it', async () => {
    const io = captureIo();
    const code = await run(['keys', 'list'], io, {
      env: { MYSQL_URL: URL_A },
      openKeyStore: async () => ({
        store: failing('Lock wait timeout exceeded'),
        close: () => Promise.reject(new Error('pool already destroyed')),
      }),
    });
    expect(code).toBe(1);
    expect(io.errText).toBe('Lock wait timeout exceeded\n');
  });

  it('shows a created key even when closing the pool fails afterwards', async () => {
    const store = createInMemoryKeyStore();
    const io = captureIo();
    const code = await run(['keys', 'create', '--user', 'u', '--json'], io, {
      env: { MYSQL_URL: URL_A },
      openKeyStore: async () => ({ store, close: () => Promise.reject(new Error('pool destroy failed')) }),
    });
    expect(code).toBe(1);
    expect(JSON.parse(io.outText)).toMatchObject({ userId: 'u', apiKey: expect.stringMatching(/^ak_/) });
    expect(io.errText).toBe('pool destroy failed\n');
  });
});

describe('keys --help', () => {
  it('lists the subcommands and where the database comes from', async () => {
    const { cli } = setup();
    const r = await cli('keys', '--help');
    expect(r.code).toBe(0);
    for (const word of ['create', 'list', 'revoke', 'MYSQL_URL']) expect(r.out).toContain(word);
  });

  it('exit 2 with the help on stderr when no subcommand is given', async () => {
    const { cli } = setup();
    const r = await cli('keys');
    expect(r.code).toBe(2);
    expect(r.err).toContain('revoke');
  });
});
