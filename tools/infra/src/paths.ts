import { existsSync } from 'node:fs';
import path from 'node:path';
import type { InfraProfile } from './profiles';

/** The repository root: the nearest ancestor holding nx.json. Everything `up` writes stays below it. */
export function findRepoRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${start}`);
    dir = parent;
  }
}

export interface InfraPaths {
  readonly root: string;
  /** Shared by profiles: the Maven repository and the broker's jars. */
  readonly m2Repo: string;
  readonly kafkaLibs: string;
  readonly kafkaPom: string;
  readonly profileDir: string;
  readonly lockDir: string;
  readonly stateFile: string;
  readonly mysql: {
    dir: string;
    dataDir: string;
    cnf: string;
    initSql: string;
    pidFile: string;
    socket: string;
    log: string;
  };
  readonly kafka: {
    dir: string;
    dataDir: string;
    props: string;
    log4j: string;
    pidFile: string;
    log: string;
    stdout: string;
  };
}

/**
 * `cacheDir` (jars and Maven's repository) defaults to `.infra/cache` inside the checkout; CI points it at a
 * directory that outlives the clone so a second run downloads nothing.
 */
export function infraPaths(profile: InfraProfile, repoRoot: string = findRepoRoot(), cacheDir?: string): InfraPaths {
  const root = path.join(repoRoot, '.infra');
  const profileDir = path.join(root, profile.name);
  const mysqlDir = path.join(profileDir, 'mariadb');
  const kafkaDir = path.join(profileDir, 'kafka');
  return {
    root,
    ...kafkaJarPaths(repoRoot, cacheDir),
    profileDir,
    lockDir: path.join(profileDir, '.lock'),
    stateFile: path.join(profileDir, 'started-by-up.json'),
    mysql: mariaDbFiles(mysqlDir),
    kafka: kafkaFiles(kafkaDir),
  };
}

/** The broker's jars and Maven's repository: shared by the profiles' brokers and the ephemeral ones. */
export function kafkaJarPaths(
  repoRoot: string,
  cacheDir?: string,
): Pick<InfraPaths, 'm2Repo' | 'kafkaLibs' | 'kafkaPom'> {
  const cache = cacheDir ? path.resolve(cacheDir) : path.join(repoRoot, '.infra', 'cache');
  return {
    m2Repo: path.join(cache, 'm2'),
    kafkaLibs: path.join(cache, 'kafka-libs'),
    kafkaPom: path.join(repoRoot, 'tools', 'infra', 'kafka', 'pom.xml'),
  };
}

function mariaDbFiles(dir: string): InfraPaths['mysql'] {
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    cnf: path.join(dir, 'my.cnf'),
    initSql: path.join(dir, 'init.sql'),
    pidFile: path.join(dir, 'mariadbd.pid'),
    socket: path.join(dir, 'mariadbd.sock'),
    log: path.join(dir, 'mariadb.log'),
  };
}

function kafkaFiles(dir: string): InfraPaths['kafka'] {
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    props: path.join(dir, 'server.properties'),
    log4j: path.join(dir, 'log4j.properties'),
    pidFile: path.join(dir, 'kafka.pid'),
    log: path.join(dir, 'server.log'),
    stdout: path.join(dir, 'stdout.log'),
  };
}

/**
 * `.infra/ephemeral`: one directory per ephemeral server (see ephemeral-kafka.ts, ephemeral-mariadb.ts); `.infra/` is
 * gitignored.
 */
export function ephemeralRoot(repoRoot: string): string {
  return path.join(repoRoot, '.infra', 'ephemeral');
}

/** The kinds of ephemeral server; a directory holds one, and its state file says which. */
export type EphemeralKind = 'kafka' | 'mariadb';

/** Who made the server (run id, owner process) and its ports: what a sweep decides by, and what says its kind. */
export const EPHEMERAL_STATE_FILES: Readonly<Record<EphemeralKind, string>> = Object.freeze({
  kafka: 'broker.json',
  mariadb: 'mariadb.json',
});

export function ephemeralDir(repoRoot: string, id: string): string {
  return path.join(ephemeralRoot(repoRoot), id);
}

export interface EphemeralKafkaPaths {
  /** Everything of the broker, data included; `destroy()` deletes it. */
  readonly dir: string;
  /** Who made it (run id, owner process) and its ports: what a sweep decides by. */
  readonly stateFile: string;
  readonly kafka: InfraPaths['kafka'];
}

export function ephemeralKafkaPaths(repoRoot: string, id: string): EphemeralKafkaPaths {
  const dir = ephemeralDir(repoRoot, id);
  return { dir, stateFile: path.join(dir, EPHEMERAL_STATE_FILES.kafka), kafka: kafkaFiles(dir) };
}

export interface EphemeralMariaDbPaths {
  /** Everything of the server, data included; `destroy()` deletes it. */
  readonly dir: string;
  /** Who made it (run id, owner process) and its port: what a sweep decides by. */
  readonly stateFile: string;
  readonly mysql: InfraPaths['mysql'];
}

export function ephemeralMariaDbPaths(repoRoot: string, id: string): EphemeralMariaDbPaths {
  const dir = ephemeralDir(repoRoot, id);
  return { dir, stateFile: path.join(dir, EPHEMERAL_STATE_FILES.mariadb), mysql: mariaDbFiles(dir) };
}
