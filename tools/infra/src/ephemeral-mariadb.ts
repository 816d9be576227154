import { rmSync } from 'node:fs';
import {
  createEphemeralDir,
  type EphemeralOwner,
  type EphemeralState,
  removeEphemeralDir,
  sweepEphemeralDirs,
  type SweptServer,
} from './ephemeral-dir';
import { InfraError } from './errors';
import {
  ensureMariaDbInstalled,
  launchMariaDbNode,
  type MariaDbBinaries,
  type MariaDbNode,
  socketPath,
  stopMariaDb,
} from './mariadb';
import { ephemeralMariaDbPaths, type EphemeralMariaDbPaths, findRepoRoot } from './paths';
import { assertPortFree, isAlive, killPid, type Log, processCommandLine, readPid } from './proc';
import { loopbackMysqlUrl } from './profiles';

/**
 * Ephemeral MariaDB servers: servers of their own, for fault tests that stop, kill and restart the database — which
 * cannot be done to the server every other test shares. Same binaries, init SQL (the `shardex` user and its grants)
 * and settings as the profiles' servers, but on a free port and in `.infra/ephemeral/<id>/`, which `destroy()` deletes.
 *
 * Unlike the test profile's server, an ephemeral one is durable (the stack profile's settings: every commit is
 * flushed before the client hears OK). The test profile flushes InnoDB's log once a second, so a SIGKILL loses the
 * commits of the last second; a fault test that kills the server must find every committed row after the restart.
 * It is small instead (64 MB buffer pool, 16 MB redo log), so that a start takes about a second.
 *
 * A crashed test cannot call `destroy()`, and the server runs in its own session, so it would outlive the test run.
 * Each server's directory therefore records its run id and the process that made it (`mariadb.json`) beside the
 * server's pid file; `sweepEphemeralMariaDb` kills and deletes those of a run, and those whose owner is gone.
 */

const RUN_ID = /^[0-9a-z]{1,16}$/;

/** What an ephemeral server is configured with besides its port and files; the same for all of them. */
export const EPHEMERAL_MARIADB = Object.freeze({
  durable: true,
  innodbBufferPool: '64M',
  innodbLogFileSize: '16M',
});

export interface EphemeralMariaDbOptions {
  /** Tags the server so the sweep of a test run finds it: 1-16 of [0-9a-z]. Default `adhoc`. */
  runId?: string;
  /** The checkout whose `.infra/` holds the server; default: the nearest directory above this file with nx.json. */
  repoRoot?: string;
  /** Progress lines; default silent (a failure's message carries the server's log path and last lines). */
  log?: Log;
}

/** A running (or stopped) ephemeral MariaDB server. Its port and data directory stay the same for its whole life. */
export interface EphemeralMariaDb {
  /** `<runId>-<8 hex digits>`, also its directory's name. */
  readonly id: string;
  readonly runId: string;
  readonly port: number;
  /** `mysql://shardex:shardex@127.0.0.1:<port>/`: the application user, which may create databases. */
  readonly url: string;
  /** `.infra/ephemeral/<id>`: configuration, data and logs. */
  readonly dir: string;
  /** The server's error log, for a failing test's message. */
  readonly logFile: string;
  /** The server's pid while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGTERM (a clean shutdown), SIGKILL after 60 s; resolves once the server is gone. Keeps the data. */
  stop(): Promise<'stopped' | 'killed' | 'not-running'>;
  /** SIGKILL, as a crash; resolves once the server is gone. Keeps the committed data (InnoDB recovers on start). */
  kill(): Promise<'killed' | 'not-running'>;
  /** Starts it again on the same port and data; resolves once `SELECT 1` answers through TCP. No-op if running. */
  start(): Promise<void>;
  /** Kills it if running and deletes its directory. Idempotent; abandons a start in progress. */
  destroy(): Promise<void>;
}

/** What a sweep removed, and why: its run ended, or the process that made it is gone, or it was never complete. */
export type SweptMariaDb = SweptServer;

/** `mariadb.json`: what a restart and the sweep need. */
export interface MariaDbServerState extends EphemeralState {
  port: number;
}

const silent: Log = () => undefined;

/** The server's node: the test profile's files and init SQL, the stack profile's durability, its own size. */
export function ephemeralMariaDbNode(state: MariaDbServerState, paths: EphemeralMariaDbPaths): MariaDbNode {
  return { label: `ephemeral MariaDB server ${state.id}`, port: state.port, files: paths.mysql, ...EPHEMERAL_MARIADB };
}

/**
 * Starts a new ephemeral MariaDB server and waits until `SELECT 1` answers through TCP as the application user. If it
 * cannot, its directory is deleted before the error is rethrown.
 */
export async function startEphemeralMariaDb({
  runId = 'adhoc',
  repoRoot = findRepoRoot(),
  log = silent,
}: EphemeralMariaDbOptions = {}): Promise<EphemeralMariaDb> {
  if (!RUN_ID.test(runId)) throw new InfraError('INFRA_ERR_CONFIG', `runId must be 1-16 of [0-9a-z], got "${runId}"`);
  // Before the port is chosen: a first install takes a minute, and a chosen port is best used at once.
  const bin = await ensureMariaDbInstalled(log);
  const state = await createMariaDbDir({ repoRoot, runId, log });
  const server = ephemeralMariaDbHandle(state, repoRoot, bin, log);
  try {
    await server.start();
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}

/**
 * Chooses the port and makes the server's directory with its `mariadb.json` (see createEphemeralDir). `owner` is for
 * tests of the sweep.
 */
export function createMariaDbDir({
  repoRoot,
  runId,
  log,
  owner,
}: {
  repoRoot: string;
  runId: string;
  log: Log;
  owner?: EphemeralOwner;
}): Promise<MariaDbServerState> {
  return createEphemeralDir({ repoRoot, kind: 'mariadb', runId, settings: {}, log, owner });
}

function ephemeralMariaDbHandle(
  state: MariaDbServerState,
  repoRoot: string,
  bin: MariaDbBinaries,
  log: Log,
): EphemeralMariaDb {
  const paths = ephemeralMariaDbPaths(repoRoot, state.id);
  const node = ephemeralMariaDbNode(state, paths);
  const abandon = new AbortController();
  let pid: number | undefined;
  let destroyed = false;
  // start/stop/kill run one at a time, so a stop asked for while a start is under way stops what that start made.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };
  const running = (): number | undefined =>
    pid !== undefined && isAlive(pid) && isThisServer(pid, paths) ? pid : undefined;
  const refuseIfDestroyed = () => {
    if (destroyed) throw new InfraError('INFRA_ERR_CONFIG', `ephemeral MariaDB server ${state.id} was destroyed`);
  };

  return {
    id: state.id,
    runId: state.runId,
    port: state.port,
    url: loopbackMysqlUrl(state.port),
    dir: paths.dir,
    logFile: paths.mysql.log,
    get pid() {
      return running();
    },
    get running() {
      return running() !== undefined;
    },
    start: () =>
      serial(async () => {
        refuseIfDestroyed();
        if (running() !== undefined) return;
        await assertPortFree(state.port, `ephemeral MariaDB server ${state.id}`, paths.dir);
        pid = await launchMariaDbNode(node, bin, log, { signal: abandon.signal });
      }),
    stop: () =>
      serial(async () => {
        refuseIfDestroyed();
        const current = running();
        pid = undefined;
        return current === undefined ? 'not-running' : stopMariaDb(current);
      }),
    kill: () =>
      serial(async () => {
        refuseIfDestroyed();
        const current = running();
        pid = undefined;
        return current === undefined ? 'not-running' : killPid(current);
      }),
    async destroy() {
      destroyed = true;
      abandon.abort();
      // Not queued: it must not wait for a start's readiness timeout. Killing the server (read from the pid file, as
      // a start in progress has not returned its pid yet) makes that start give up at once; then wait for it.
      await killServer(paths);
      await queue;
      // A start that was spawning the moment we aborted has left a pid file behind it.
      await killServer(paths);
      pid = undefined;
      await removeEphemeralDir(repoRoot, paths.dir);
    },
  };
}

/**
 * Whether the live process `pid` was started on this server's config. A pid may have been reused since the server
 * died; without /proc (not Linux) there is no way to tell, and the pid is trusted.
 */
function isThisServer(pid: number, paths: EphemeralMariaDbPaths): boolean {
  const argv = processCommandLine(pid);
  return argv === undefined || argv.includes(`--defaults-file=${paths.mysql.cnf}`);
}

/**
 * SIGKILLs the server if its pid file names a live process that really is this server. A killed server leaves its
 * socket behind, which in a deep checkout lives in the temp dir (see socketPath), not in the server's directory: it
 * goes too, whether this call or an earlier `kill()` killed the server.
 */
async function killServer(paths: EphemeralMariaDbPaths): Promise<number | undefined> {
  const pid = readPid(paths.mysql.pidFile);
  const killed =
    pid !== undefined && isAlive(pid) && isThisServer(pid, paths) && (await killPid(pid)) === 'killed'
      ? pid
      : undefined;
  rmSync(socketPath(paths.mysql), { force: true });
  return killed;
}

/**
 * Kills and deletes the ephemeral MariaDB servers that nobody will destroy: those tagged with `runId` (call it when
 * that run is over), those whose owner process is gone (a test process that crashed or was killed, of any run), and
 * directories without a readable state file. Servers of live owners in other runs, and ephemeral servers of other
 * kinds (sweepEphemeralKafka's), are left alone.
 */
export async function sweepEphemeralMariaDb({
  repoRoot = findRepoRoot(),
  runId,
  log = silent,
}: { repoRoot?: string; runId?: string; log?: Log } = {}): Promise<SweptMariaDb[]> {
  return sweepEphemeralDirs({
    repoRoot,
    kind: 'mariadb',
    runId,
    log,
    kill: (id) => killServer(ephemeralMariaDbPaths(repoRoot, id)),
  });
}
