import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { down, status, up } from './infra';
import { infraPaths } from './paths';
import { freeLoopbackPorts } from './ports';
import { isAlive, killPid, portOpen, processCommandLine } from './proc';
import { type InfraProfile, PROFILES } from './profiles';

/** Every process whose argv mentions `dir`: the services (and installers) of a temporary repo root. */
function processesUnder(dir: string): Array<{ pid: number; argv: string[] }> {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      const pid = Number(name);
      const argv = processCommandLine(pid);
      return argv?.some((arg) => arg.includes(dir)) ? [{ pid, argv }] : [];
    });
}

/** The MariaDB server itself, not mariadb-install-db's short-lived `--bootstrap` run of it. */
function isMariaDbServer(argv: readonly string[]): boolean {
  const bin = path.basename(argv[0] ?? '');
  return (bin === 'mariadbd' || bin === 'mysqld') && !argv.includes('--bootstrap');
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}

// The real profiles' services keep running throughout: these tests use a profile on free ports under a temporary
// repo root, and make Kafka fail by holding its port with something that is not a broker.
describe('a failed up', () => {
  let root: string;
  let profile: InfraProfile;
  let squatter: net.Server | undefined;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'shardex-infra-up-'));
    const [mysqlPort, kafkaPort, controllerPort] = await freeLoopbackPorts(3);
    if (mysqlPort === undefined || kafkaPort === undefined || controllerPort === undefined) throw new Error('no ports');
    profile = { ...PROFILES.test, mysqlPort, kafkaPort, controllerPort };
    squatter = await listen(kafkaPort);
  });

  afterAll(async () => {
    await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
    // Whatever a failing assertion left running under the temporary root goes with it.
    for (const p of processesUnder(root)) await killPid(p.pid);
    rmSync(root, { recursive: true, force: true });
  });

  const opts = () => ({ profile, repoRoot: root, log: () => undefined });

  it('stops the MariaDB it started, then rethrows why Kafka failed', async () => {
    const servers = new Set<number>();
    const watch = setInterval(() => {
      for (const p of processesUnder(root)) if (isMariaDbServer(p.argv)) servers.add(p.pid);
    }, 100);
    try {
      await expect(up(opts())).rejects.toMatchObject({ code: 'INFRA_ERR_PORT_IN_USE' });
    } finally {
      clearInterval(watch);
    }
    // MariaDB really was started (else this would prove nothing) and is gone, not merely forgotten.
    expect(servers.size).toBe(1);
    for (const pid of servers) expect(isAlive(pid)).toBe(false);
    expect(processesUnder(root)).toEqual([]);
    expect(await portOpen(profile.mysqlPort)).toBe(false);
    expect(await portOpen(profile.controllerPort)).toBe(false);
    expect(existsSync(infraPaths(profile, root).stateFile)).toBe(false);
    expect((await status(opts())).map((s) => [s.service, s.running])).toEqual([
      ['mariadb', false],
      ['kafka', false],
    ]);
  });

  it('leaves running what was already running before it', async () => {
    expect((await up({ ...opts(), services: ['mariadb'] })).started).toEqual(['mariadb']);
    const [before] = await status(opts());
    const pid = before?.pid;
    expect(pid).toEqual(expect.any(Number));

    await expect(up(opts())).rejects.toMatchObject({ code: 'INFRA_ERR_PORT_IN_USE' });

    const [after] = await status(opts());
    expect(after).toMatchObject({ service: 'mariadb', running: true, answering: true, pid, startedByUp: true });
    expect(await down(opts())).toEqual({ stopped: ['mariadb'], leftRunning: [] });
    expect(pid !== undefined && isAlive(pid)).toBe(false);
    expect(await portOpen(profile.mysqlPort)).toBe(false);
  });
});
