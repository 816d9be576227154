import {
  createEphemeralDir,
  type EphemeralOwner,
  type EphemeralState,
  removeEphemeralDir,
  sweepEphemeralDirs,
  type SweptServer,
} from './ephemeral-dir';
import { InfraError } from './errors';
import { ensureKafkaRuntime, type KafkaNode, launchKafkaNode, stopKafka } from './kafka';
import { ephemeralKafkaPaths, type EphemeralKafkaPaths, findRepoRoot, kafkaJarPaths } from './paths';
import { assertPortFree, isAlive, killPid, type Log, processCommandLine, readPid } from './proc';

/**
 * Ephemeral brokers: single-node KRaft brokers of their own, for fault tests that stop, kill and restart a broker —
 * which cannot be done to the broker every other test shares. Same jars, same configuration and JVM options as the
 * test profile's broker, but on free ports and in `.infra/ephemeral/<id>/`, which `destroy()` deletes.
 *
 * A crashed test cannot call `destroy()`, and the JVM runs in its own session, so it would outlive the test run.
 * Each broker's directory therefore records its run id and the process that made it (`broker.json`) beside the
 * JVM's pid file; `sweepEphemeralKafka` kills and deletes those of a run, and those whose owner is gone.
 */

const RUN_ID = /^[0-9a-z]{1,16}$/;
const HEAP = /^[1-9][0-9]*[kmgKMG]?$/;

export interface EphemeralKafkaOptions {
  /** Tags the broker so the sweep of a test run finds it: 1-16 of [0-9a-z]. Default `adhoc`. */
  runId?: string;
  /** The checkout whose `.infra/` holds the broker; default: the nearest directory above this file with nx.json. */
  repoRoot?: string;
  /** Where the broker's jars are cached, as for `up`; default `.infra/cache` of `repoRoot`. */
  cacheDir?: string;
  /** JVM heap; default `512m`, so it fits beside the shared broker and database on a small box. */
  heap?: string;
  /** Progress lines; default silent (a failure's message carries the broker's log path and last lines). */
  log?: Log;
}

/** A running (or stopped) ephemeral broker. Ports and data directory stay the same for its whole life. */
export interface EphemeralKafka {
  /** `<runId>-<8 hex digits>`, also its directory's name. */
  readonly id: string;
  readonly runId: string;
  /** `['127.0.0.1:<port>']` */
  readonly brokers: string[];
  readonly port: number;
  readonly controllerPort: number;
  /** `.infra/ephemeral/<id>`: configuration, data and logs. */
  readonly dir: string;
  /** The broker's log (log4j), for a failing test's message. */
  readonly logFile: string;
  /** The JVM's pid while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGTERM (a controlled shutdown), SIGKILL after 45 s; resolves once the JVM is gone. Keeps the data. */
  stop(): Promise<'stopped' | 'killed' | 'not-running'>;
  /**
   * SIGKILL, as a crash; resolves once the JVM is gone. Keeps the data (the next start recovers the logs). The next
   * start takes ~10 s longer than after `stop()`: the controller refuses the new incarnation of the broker until the
   * killed one's session (`broker.session.timeout.ms`, 9 s) has expired.
   */
  kill(): Promise<'killed' | 'not-running'>;
  /** Starts it again on the same ports and data; resolves once a produce/consume round trip works. No-op if running. */
  start(): Promise<void>;
  /** Kills it if running and deletes its directory. Idempotent; abandons a start in progress. */
  destroy(): Promise<void>;
}

/** What a sweep removed, and why: its run ended, or the process that made it is gone, or it was never complete. */
export type SweptKafka = SweptServer;

/** `broker.json`: what a restart and the sweep need. */
export interface BrokerState extends EphemeralState {
  port: number;
  controllerPort: number;
  heap: string;
}

const silent: Log = () => undefined;

/**
 * Starts a new ephemeral broker and waits until a produce/consume round trip works. If it cannot, its directory is
 * deleted before the error is rethrown.
 */
export async function startEphemeralKafka({
  runId = 'adhoc',
  repoRoot = findRepoRoot(),
  cacheDir,
  heap = '512m',
  log = silent,
}: EphemeralKafkaOptions = {}): Promise<EphemeralKafka> {
  if (!RUN_ID.test(runId)) throw new InfraError('INFRA_ERR_CONFIG', `runId must be 1-16 of [0-9a-z], got "${runId}"`);
  if (!HEAP.test(heap)) throw new InfraError('INFRA_ERR_CONFIG', `heap must look like 512m or 1g, got "${heap}"`);
  // Before the ports are chosen: a first fetch of the jars takes a while, and chosen ports are best used at once.
  const runtime = await ensureKafkaRuntime(kafkaJarPaths(repoRoot, cacheDir), log);
  const state = await createBrokerDir({ repoRoot, runId, heap, log });
  const broker = ephemeralKafkaHandle(state, repoRoot, runtime, log);
  try {
    await broker.start();
  } catch (err) {
    await broker.destroy();
    throw err;
  }
  return broker;
}

/**
 * Chooses the ports and makes the broker's directory with its `broker.json` (see createEphemeralDir). `owner` is for
 * tests of the sweep.
 */
export function createBrokerDir({
  repoRoot,
  runId,
  heap,
  log,
  owner,
}: {
  repoRoot: string;
  runId: string;
  heap: string;
  log: Log;
  owner?: EphemeralOwner;
}): Promise<BrokerState> {
  return createEphemeralDir({ repoRoot, kind: 'kafka', runId, settings: { heap }, log, owner });
}

function ephemeralKafkaHandle(
  state: BrokerState,
  repoRoot: string,
  runtime: Awaited<ReturnType<typeof ensureKafkaRuntime>>,
  log: Log,
): EphemeralKafka {
  const paths = ephemeralKafkaPaths(repoRoot, state.id);
  const node: KafkaNode = {
    label: `ephemeral broker ${state.id}`,
    durable: false,
    port: state.port,
    controllerPort: state.controllerPort,
    heap: state.heap,
    files: paths.kafka,
  };
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
    pid !== undefined && isAlive(pid) && isThisBroker(pid, paths) ? pid : undefined;
  const refuseIfDestroyed = () => {
    if (destroyed) throw new InfraError('INFRA_ERR_CONFIG', `ephemeral broker ${state.id} was destroyed`);
  };

  return {
    id: state.id,
    runId: state.runId,
    brokers: [`127.0.0.1:${state.port}`],
    port: state.port,
    controllerPort: state.controllerPort,
    dir: paths.dir,
    logFile: paths.kafka.log,
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
        await assertPortFree(state.port, `ephemeral broker ${state.id}`, paths.dir);
        await assertPortFree(state.controllerPort, `the controller of ephemeral broker ${state.id}`, paths.dir);
        pid = await launchKafkaNode(node, runtime, log, { signal: abandon.signal });
      }),
    stop: () =>
      serial(async () => {
        refuseIfDestroyed();
        const current = running();
        pid = undefined;
        return current === undefined ? 'not-running' : stopKafka(current);
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
      // Not queued: it must not wait for a start's readiness timeout. Killing the JVM (read from the pid file, as a
      // start in progress has not returned its pid yet) makes that start give up at once; then wait for it.
      await killBroker(paths);
      await queue;
      // A start that was spawning the moment we aborted has left a pid file behind it.
      await killBroker(paths);
      pid = undefined;
      await removeEphemeralDir(repoRoot, paths.dir);
    },
  };
}

/**
 * Whether the live process `pid` was started on this broker's config. A pid may have been reused since the broker
 * died; without /proc (not Linux) there is no way to tell, and the pid is trusted.
 */
function isThisBroker(pid: number, paths: EphemeralKafkaPaths): boolean {
  const argv = processCommandLine(pid);
  return argv === undefined || argv.includes(paths.kafka.props);
}

/** SIGKILLs the broker's JVM if its pid file names a live process that really is this broker. */
async function killBroker(paths: EphemeralKafkaPaths): Promise<number | undefined> {
  const pid = readPid(paths.kafka.pidFile);
  if (pid === undefined || !isAlive(pid) || !isThisBroker(pid, paths)) return undefined;
  return (await killPid(pid)) === 'killed' ? pid : undefined;
}

/**
 * Kills and deletes the ephemeral brokers that nobody will destroy: those tagged with `runId` (call it when that run
 * is over), those whose owner process is gone (a test process that crashed or was killed, of any run), and
 * directories without a readable state file. Brokers of live owners in other runs, and ephemeral servers of other
 * kinds (sweepEphemeralMariaDb's), are left alone.
 */
export async function sweepEphemeralKafka({
  repoRoot = findRepoRoot(),
  runId,
  log = silent,
}: { repoRoot?: string; runId?: string; log?: Log } = {}): Promise<SweptKafka[]> {
  return sweepEphemeralDirs({
    repoRoot,
    kind: 'kafka',
    runId,
    log,
    kill: (id) => killBroker(ephemeralKafkaPaths(repoRoot, id)),
  });
}
