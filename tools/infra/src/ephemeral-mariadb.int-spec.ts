import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { type EphemeralMariaDb, startEphemeralMariaDb, sweepEphemeralMariaDb } from './ephemeral-mariadb';
import { socketPath } from './mariadb';
import { ephemeralMariaDbPaths, ephemeralRoot } from './paths';
import { isAlive, killPid, portOpen, processCommandLine } from './proc';
import { PROFILES } from './profiles';

/** Every process whose argv mentions `dir`: the servers (and installers) of a temporary repo root. */
function processesUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => processCommandLine(pid)?.some((arg) => arg.includes(dir)));
}

function connect(server: EphemeralMariaDb, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: server.url, database, connectTimeout: 5000 });
}

async function ids(server: EphemeralMariaDb): Promise<number[]> {
  const conn = await connect(server, 'faults');
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT id FROM t ORDER BY id');
    return rows.map((r) => Number(r['id']));
  } finally {
    await conn.end();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

// One server for the whole file (a start takes about a second): the tests run in order and each leaves it running.
// The shared test server of the run is neither used nor disturbed; everything lives under a temporary repo root,
// a deep one, so that the servers' sockets take the temp-dir fallback (see socketPath) and its cleanup is tested too.
describe('ephemeral MariaDB server', () => {
  let tmp: string;
  let root: string;
  let server: EphemeralMariaDb;
  const socketOf = (s: EphemeralMariaDb) => socketPath(ephemeralMariaDbPaths(root, s.id).mysql);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shardex-infra-mariadb-'));
    root = path.join(tmp, 'a-deep-checkout'.repeat(5));
    server = await startEphemeralMariaDb({ runId: 'mdbspec', repoRoot: root });
  });

  afterAll(async () => {
    await server?.destroy();
    // Whatever a failing assertion left running under the temporary root goes with it.
    for (const pid of processesUnder(tmp)) await killPid(pid);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves the shardex user on a free loopback port, durably, from its own directory', async () => {
    expect(server.url).toBe(`mysql://shardex:shardex@127.0.0.1:${server.port}/`);
    expect(Object.values(PROFILES).map((p) => p.mysqlPort)).not.toContain(server.port);
    expect(server.dir).toBe(path.join(ephemeralRoot(root), server.id));
    expect(server.id).toMatch(/^mdbspec-[0-9a-f]{8}$/);
    expect(server.running).toBe(true);
    expect(server.pid).toEqual(expect.any(Number));
    expect(path.dirname(socketOf(server))).toBe(os.tmpdir());
    expect(existsSync(socketOf(server))).toBe(true);
    const conn = await connect(server);
    try {
      const [[settings]] = await conn.query<mysql.RowDataPacket[]>(
        'SELECT @@port AS port, @@datadir AS datadir, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_doublewrite AS dw',
      );
      expect(settings).toEqual({ port: server.port, datadir: `${server.dir}/data/`, flush: 1, dw: 1 });
      const [grants] = await conn.query<mysql.RowDataPacket[]>('SHOW GRANTS');
      expect(Object.values(grants[0] ?? {})[0]).toMatch(
        /^GRANT ALL PRIVILEGES ON \*\.\* TO `shardex`@`127\.0\.0\.1` .*WITH GRANT OPTION$/,
      );
      await conn.query('CREATE DATABASE faults');
      await conn.query('CREATE TABLE faults.t (id INT PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB');
      await conn.query('INSERT INTO faults.t (id) VALUES ?', [range(0, 100).map((i) => [i])]);
    } finally {
      await conn.end();
    }
  });

  it('keeps its rows over a stop and a start, and refuses connections while it is stopped', async () => {
    const open = await connect(server, 'faults');
    const pid = server.pid;
    expect(await server.stop()).toBe('stopped');
    expect(server.running).toBe(false);
    expect(server.pid).toBeUndefined();
    expect(pid !== undefined && isAlive(pid)).toBe(false);
    expect(await portOpen(server.port)).toBe(false);
    // A connection from before the stop is gone, and a new one is refused.
    await expect(open.query('SELECT 1')).rejects.toMatchObject({ fatal: true });
    await expect(connect(server)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await server.stop()).toBe('not-running');

    await server.start();
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(pid);
    expect(await ids(server)).toEqual(range(0, 100));
  });

  it('keeps every committed row over a kill under load, and none of an open transaction', async () => {
    const writer = await connect(server, 'faults');
    const open = await connect(server, 'faults');
    await open.beginTransaction();
    await open.query("INSERT INTO t (id, note) VALUES (-1, 'uncommitted')");
    // One row per commit, each acknowledged before the next is sent, while the server is killed.
    const acked: number[] = [];
    let writeError: unknown;
    const writing = (async () => {
      for (let id = 100; ; id++) {
        await writer.query('INSERT INTO t (id) VALUES (?)', [id]);
        acked.push(id);
      }
    })().catch((err: unknown) => {
      writeError = err;
    });
    while (acked.length < 200) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await server.kill()).toBe('killed');
    await writing;
    expect(writeError).toMatchObject({ fatal: true });
    expect(server.running).toBe(false);
    writer.destroy();
    open.destroy();

    await server.start();
    const after = await ids(server);
    const last = acked[acked.length - 1] ?? 0;
    // The insert in flight at the kill may or may not have committed; every acknowledged one has.
    expect(after.slice(0, 100 + acked.length)).toEqual(range(0, last + 1));
    expect(after.length - (100 + acked.length)).toBeLessThanOrEqual(1);
    expect(after).not.toContain(-1);
  });

  it('is removed, process and directory, by the sweep of the run that left it', async () => {
    const left = await startEphemeralMariaDb({ runId: 'mdbleft', repoRoot: root });
    const pid = left.pid;
    expect(pid).toEqual(expect.any(Number));
    const swept = await sweepEphemeralMariaDb({ repoRoot: root, runId: 'mdbleft' });
    expect(swept).toEqual([{ id: left.id, runId: 'mdbleft', killedPid: pid, reason: 'run' }]);
    expect(pid !== undefined && isAlive(pid)).toBe(false);
    expect(existsSync(left.dir)).toBe(false);
    expect(existsSync(socketOf(left))).toBe(false);
    expect(await portOpen(left.port)).toBe(false);
    // This file's server belongs to another run, whose owner (this process) is alive: untouched.
    expect(server.running).toBe(true);
    expect(await ids(server)).toEqual(expect.arrayContaining(range(0, 300)));
    await left.destroy(); // nothing left to do
  });

  it('leaves neither a process nor a directory after destroy, and refuses to start again', async () => {
    const pid = server.pid;
    expect(pid).toEqual(expect.any(Number));
    await server.destroy();
    await server.destroy(); // idempotent
    expect(pid !== undefined && isAlive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    expect(existsSync(ephemeralRoot(root))).toBe(false);
    expect(existsSync(socketOf(server))).toBe(false);
    expect(await portOpen(server.port)).toBe(false);
    expect(processesUnder(tmp)).toEqual([]);
    await expect(server.start()).rejects.toMatchObject({ code: 'INFRA_ERR_CONFIG' });
  });
});
