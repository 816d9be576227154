import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { InfraError } from './errors';
import { kafkaPid, probeKafkaMetadata, startKafka, stopKafka } from './kafka';
import { mariaDbPid, probeMariaDb, startMariaDb, stopMariaDb } from './mariadb';
import { findRepoRoot, infraPaths, type InfraPaths } from './paths';
import { type Log, withLock } from './proc';
import { getProfile, kafkaBrokers, mysqlUrl, resolveProfile, type InfraProfile } from './profiles';

export const SERVICES = ['mariadb', 'kafka'] as const;
export type Service = (typeof SERVICES)[number];

export interface InfraOptions {
  /**
   * `test` (default): fast, throwaway; `stack`: durable, for the quick start. A profile object (a named one with
   * other ports, say) lets tests run services that cannot collide with the real profiles'.
   */
  profile?: InfraProfile['name'] | InfraProfile;
  /** Progress lines; defaults to stderr so stdout stays machine-readable. */
  log?: Log;
  repoRoot?: string;
  /** Where the broker's jars and Maven's repository are kept; default `.infra/cache` (env SHARDEX_INFRA_CACHE). */
  cacheDir?: string;
}

export interface UpResult {
  profile: InfraProfile['name'];
  kafkaBrokers: string[];
  mysqlUrl: string;
  /** What this call started (empty when everything was already up). */
  started: Service[];
}

type StartedByUp = Partial<Record<Service, number>>;

const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

function resolve(opts: InfraOptions): { profile: InfraProfile; paths: InfraPaths; log: Log } {
  const profile = resolveProfile(opts.profile ?? 'test');
  return {
    profile,
    paths: infraPaths(profile, opts.repoRoot ?? findRepoRoot(), opts.cacheDir),
    log: opts.log ?? stderrLog,
  };
}

function readState(paths: InfraPaths): StartedByUp {
  if (!existsSync(paths.stateFile)) return {};
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as StartedByUp;
  } catch {
    return {};
  }
}

function writeState(paths: InfraPaths, state: StartedByUp): void {
  if (Object.keys(state).length === 0) rmSync(paths.stateFile, { force: true });
  else writeFileSync(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Starts whatever of MariaDB and Kafka (or of `services`) is not already running for the profile; waits until each answers. */
export async function up(opts: InfraOptions & { services?: readonly Service[] } = {}): Promise<UpResult> {
  const { profile, paths, log } = resolve(opts);
  const wanted = opts.services ?? SERVICES;
  mkdirSync(paths.profileDir, { recursive: true });
  return withLock(
    paths.lockDir,
    async () => {
      const prefixed =
        (name: string): Log =>
        (line) =>
          log(`[${name}] ${line}`);
      const starters: Record<Service, () => Promise<{ pid: number; started: boolean }>> = {
        mariadb: () => startMariaDb(profile, paths, prefixed('mariadb')),
        kafka: () => startKafka(profile, paths, prefixed('kafka')),
      };
      const results = await Promise.allSettled(wanted.map((service) => starters[service]()));
      const state = readState(paths);
      const started: Service[] = [];
      const failures: Array<{ service: Service; reason: unknown }> = [];
      results.forEach((r, i) => {
        const service = wanted[i] as Service;
        if (r.status === 'rejected') failures.push({ service, reason: r.reason });
        else if (r.value.started) {
          state[service] = r.value.pid;
          started.push(service);
        }
      });
      // Recorded before anything else: if this process dies while undoing below, `down` still knows what to stop.
      writeState(paths, state);
      const [failed, ...alsoFailed] = failures;
      if (failed) {
        for (const f of alsoFailed)
          log(`[${f.service}] failed too: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`);
        await undoStarted(started, state, paths, log);
        throw failed.reason;
      }
      return { profile: profile.name, kafkaBrokers: kafkaBrokers(profile), mysqlUrl: mysqlUrl(profile), started };
    },
    { log },
  );
}

/**
 * A failed `up` stops what it started (and only that: services that were already running stay up), so the failure
 * leaves the machine as it found it. Otherwise the one that did start would run on unnoticed, and a caller that
 * never got an `UpResult` (the test harness) would never stop it.
 */
async function undoStarted(
  started: readonly Service[],
  state: StartedByUp,
  paths: InfraPaths,
  log: Log,
): Promise<void> {
  // Kafka first, as in `down`.
  for (const service of ['kafka', 'mariadb'] as const) {
    const pid = state[service];
    if (!started.includes(service) || pid === undefined) continue;
    log(`[${service}] stopping it (pid ${pid}): \`up\` failed`);
    try {
      const how = await (service === 'kafka' ? stopKafka(pid) : stopMariaDb(pid));
      log(`[${service}] ${how}`);
      delete state[service];
      writeState(paths, state);
    } catch (err) {
      // Still recorded as started by `up`, so `down` can try again; the error that made `up` fail is rethrown.
      log(`[${service}] could not stop pid ${pid} (${err instanceof Error ? err.message : String(err)}): run \`down\``);
    }
  }
}

export interface DownResult {
  stopped: Service[];
  /** Running, but not started by `up`: left alone. */
  leftRunning: Service[];
}

/** Stops what `up` started for the profile (optionally only some services); `purge` also deletes its data. */
export async function down(
  opts: InfraOptions & { services?: readonly Service[]; purge?: boolean } = {},
): Promise<DownResult> {
  const { paths, log } = resolve(opts);
  if (!existsSync(paths.profileDir)) return { stopped: [], leftRunning: [] };
  return withLock(
    paths.lockDir,
    async () => {
      const wanted = opts.services ?? SERVICES;
      const state = readState(paths);
      const running: Record<Service, number | undefined> = { mariadb: mariaDbPid(paths), kafka: kafkaPid(paths) };
      const stopped: Service[] = [];
      const leftRunning: Service[] = [];
      // Kafka first: it may still be flushing while clients that also use MySQL shut down.
      for (const service of ['kafka', 'mariadb'] as const) {
        if (!wanted.includes(service)) continue;
        const ours = state[service];
        if (ours !== undefined && ours === running[service]) {
          log(`stopping ${service} (pid ${ours})`);
          const how = await (service === 'kafka' ? stopKafka(ours) : stopMariaDb(ours));
          log(`${service} ${how}`);
          stopped.push(service);
          delete state[service];
        } else if (running[service] !== undefined) {
          log(`${service} (pid ${running[service]}) was not started by \`up\`: left running`);
          leftRunning.push(service);
        } else {
          delete state[service];
        }
      }
      writeState(paths, state);
      if (opts.purge) {
        if (leftRunning.length > 0) {
          throw new InfraError(
            'INFRA_ERR_CONFIG',
            `not purging ${paths.profileDir}: ${leftRunning.join(', ')} still running`,
          );
        }
        log(`deleting ${paths.profileDir}`);
        rmSync(paths.profileDir, { recursive: true, force: true });
      }
      return { stopped, leftRunning };
    },
    { log },
  );
}

export interface ServiceStatus {
  profile: InfraProfile['name'];
  service: Service;
  running: boolean;
  answering: boolean;
  pid: number | undefined;
  startedByUp: boolean;
  address: string;
  dataDir: string;
  logPath: string;
}

export async function status(opts: InfraOptions = {}): Promise<ServiceStatus[]> {
  const { profile, paths } = resolve(opts);
  const state = readState(paths);
  const mysqlPid = mariaDbPid(paths);
  const brokerPid = kafkaPid(paths);
  const [mysqlAnswers, kafkaAnswers] = await Promise.all([
    mysqlPid !== undefined ? probeMariaDb(profile.mysqlPort).catch(() => false) : false,
    brokerPid !== undefined ? probeKafkaMetadata(profile.kafkaPort).catch(() => false) : false,
  ]);
  return [
    {
      profile: profile.name,
      service: 'mariadb',
      running: mysqlPid !== undefined,
      answering: mysqlAnswers,
      pid: mysqlPid,
      startedByUp: mysqlPid !== undefined && state.mariadb === mysqlPid,
      address: mysqlUrl(profile),
      dataDir: paths.mysql.dataDir,
      logPath: paths.mysql.log,
    },
    {
      profile: profile.name,
      service: 'kafka',
      running: brokerPid !== undefined,
      answering: kafkaAnswers,
      pid: brokerPid,
      startedByUp: brokerPid !== undefined && state.kafka === brokerPid,
      address: kafkaBrokers(profile).join(','),
      dataDir: paths.kafka.dataDir,
      logPath: paths.kafka.log,
    },
  ];
}

/** Shell `export` lines for the profile; the test profile uses the names the test harness reads. */
export function envLines(profileName: InfraProfile['name'] = 'test'): string[] {
  const profile = getProfile(profileName);
  const [kafkaVar, mysqlVar] =
    profile.name === 'test' ? ['SHARDEX_TEST_KAFKA_BROKERS', 'SHARDEX_TEST_MYSQL_URL'] : ['KAFKA_BROKERS', 'MYSQL_URL'];
  return [`export ${kafkaVar}=${kafkaBrokers(profile).join(',')}`, `export ${mysqlVar}=${mysqlUrl(profile)}`];
}
