import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { RowDataPacket } from 'mysql2/promise';
import { type DedicatedMysql, startDedicatedMysql } from './dedicated-mysql';
import { createTestDatabase, listDatabases, type TestDatabase } from './mysql-database';
import { sweepRun } from './sweep';
import { ENV_RUN_ID, getTestInfra } from './test-infra';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The database server a fault test may stop, kill and restart: the harness's database helpers work on it, its
// committed rows survive both, and the sweep of the run that started it removes it, process and directory. It is
// started under a run id of its own, so that sweeping that run here disturbs nothing of the real run's.
describe('dedicated MariaDB server', () => {
  const run = `dm${randomBytes(4).toString('hex')}`;
  let server: DedicatedMysql | undefined;
  let db: TestDatabase | undefined;

  afterAll(async () => {
    await server?.destroy();
  });

  it('serves the database helpers, keeps committed rows over a stop and a kill, and is swept with its run', async () => {
    server = await startDedicatedMysql({ env: { [ENV_RUN_ID]: run } });
    const s = server;
    expect(s.id.startsWith(`${run}-`)).toBe(true);
    expect(s.mysql).toMatchObject({ url: s.url, host: '127.0.0.1', port: s.port, user: 'shardex' });
    expect(getTestInfra().mysql.port).not.toBe(s.port);

    // The harness's helpers take the handle in place of the run's infrastructure.
    db = await createTestDatabase('dedicated', s);
    expect(await listDatabases(s)).toContain(db.database);
    expect(await listDatabases()).not.toContain(db.database);
    const conn = await s.connect(db.database);
    await conn.query('CREATE TABLE orders (id INT PRIMARY KEY) ENGINE=InnoDB');
    await conn.query('INSERT INTO orders (id) VALUES (1), (2), (3)');
    await conn.end();
    const ids = async () => {
      const c = await s.connect(db?.database);
      try {
        const [rows] = await c.query<RowDataPacket[]>('SELECT id FROM orders ORDER BY id');
        return rows.map((r) => Number(r['id']));
      } finally {
        await c.end();
      }
    };

    expect(await s.stop()).toBe('stopped');
    await expect(s.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await s.start();
    expect(await ids()).toEqual([1, 2, 3]);

    const writer = await s.connect(db.database);
    await writer.query('INSERT INTO orders (id) VALUES (4)');
    expect(await s.kill()).toBe('killed');
    writer.destroy();
    expect(s.running).toBe(false);
    await s.start();
    expect(await ids()).toEqual([1, 2, 3, 4]);
    await db.drop();
    expect(await listDatabases(s)).not.toContain(db.database);

    // What a crashed test leaves: the run's teardown (sweepRun) kills the server and deletes its directory.
    const pid = s.pid;
    expect(pid).toEqual(expect.any(Number));
    const swept = await sweepRun(run, getTestInfra());
    expect(swept).toEqual({ topics: [], databases: [], brokers: [], mysqlServers: [s.id] });
    expect(pid !== undefined && alive(pid)).toBe(false);
    expect(existsSync(s.dir)).toBe(false);
    expect(await portOpen(s.port)).toBe(false);
    await s.destroy(); // nothing left to do
  }, 60_000);
});
