import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InfraError } from './errors';
import { EPHEMERAL_STATE_FILES, ephemeralDir, type EphemeralKind, ephemeralRoot } from './paths';
import { freeLoopbackPorts } from './ports';
import { isAlive, type Log, processStartTime, withLock } from './proc';

/**
 * What the ephemeral servers of a checkout (ephemeral-kafka.ts, ephemeral-mariadb.ts) have in common: a directory
 * each under `.infra/ephemeral/`, made and removed under one lock per checkout; a state file whose name says the
 * server's kind and which records its run, its owner process and its ports; ports never handed to another server
 * while the directory exists, whatever its kind; and the sweep of the directories nobody will destroy.
 */

const STATE_VERSION = 1;

/**
 * The fields of each kind's state that hold its ports. All of them are kept for the server's restarts, so a new
 * server of any kind never gets one of them.
 */
const PORT_FIELDS = {
  kafka: ['port', 'controllerPort'],
  mariadb: ['port'],
} as const satisfies Record<EphemeralKind, readonly string[]>;

const KIND_LABELS: Readonly<Record<EphemeralKind, string>> = { kafka: 'broker', mariadb: 'MariaDB server' };

export type EphemeralPorts<K extends EphemeralKind> = Record<(typeof PORT_FIELDS)[K][number], number>;

export interface EphemeralOwner {
  pid: number;
  startTime: number | undefined;
}

/** What every kind's state file holds; the kind adds its ports and settings. */
export interface EphemeralState {
  version: number;
  id: string;
  runId: string;
  /** The process that made the server; when it is gone, nobody can stop the server but a sweep. */
  owner: EphemeralOwner;
  createdAt: string;
}

/** What a sweep removed, and why: its run ended, or the process that made it is gone, or it was never complete. */
export interface SweptServer {
  id: string;
  runId: string | undefined;
  /** The server process it killed, if one was running. */
  killedPid: number | undefined;
  reason: 'run' | 'orphan' | 'incomplete';
}

/** Serialises the choice of ports and the creation and removal of server directories within one checkout. */
function lockDir(repoRoot: string): string {
  return `${ephemeralRoot(repoRoot)}.lock`;
}

/**
 * Chooses the kind's ports and makes the server's directory with its state file, under the checkout's lock so that
 * two servers never get the same ports and a sweep never sees a directory half made. `owner` is for tests of the
 * sweep; `settings` are the kind's own (what a restart needs besides the ports).
 */
export async function createEphemeralDir<K extends EphemeralKind, X extends object>({
  repoRoot,
  kind,
  runId,
  settings,
  log,
  owner = { pid: process.pid, startTime: processStartTime(process.pid) },
}: {
  repoRoot: string;
  kind: K;
  runId: string;
  settings: X;
  log: Log;
  owner?: EphemeralOwner;
}): Promise<EphemeralState & EphemeralPorts<K> & X> {
  const root = ephemeralRoot(repoRoot);
  mkdirSync(path.dirname(root), { recursive: true });
  return withLock(
    lockDir(repoRoot),
    async () => {
      mkdirSync(root, { recursive: true });
      const fields: readonly string[] = PORT_FIELDS[kind];
      // Stopped servers of this checkout keep their ports for a restart: never hand those out again.
      const chosen = await freeLoopbackPorts(fields.length, { exclude: portsInUse(repoRoot) });
      if (chosen.length !== fields.length) {
        throw new InfraError('INFRA_ERR_PORT_IN_USE', `no free ports for an ephemeral ${KIND_LABELS[kind]}`);
      }
      // One port per field, in order: the cast only names what the loop above made.
      const ports = Object.fromEntries(fields.map((field, i) => [field, chosen[i]])) as EphemeralPorts<K>;
      const id = `${runId}-${randomBytes(4).toString('hex')}`;
      const dir = ephemeralDir(repoRoot, id);
      mkdirSync(dir);
      const state = {
        version: STATE_VERSION,
        id,
        runId,
        ...ports,
        ...settings,
        owner,
        createdAt: new Date().toISOString(),
      };
      writeFileSync(path.join(dir, EPHEMERAL_STATE_FILES[kind]), `${JSON.stringify(state, null, 2)}\n`);
      return state;
    },
    { log },
  );
}

/** Deletes a server's directory, and `.infra/ephemeral` with its last one. */
export async function removeEphemeralDir(repoRoot: string, dir: string): Promise<void> {
  const root = ephemeralRoot(repoRoot);
  if (!existsSync(path.dirname(root))) return;
  await withLock(lockDir(repoRoot), async () => {
    rmSync(dir, { recursive: true, force: true });
    removeIfEmpty(root);
  });
}

/** `.infra/ephemeral` itself goes with its last server, so a test run leaves no trace. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw err;
  }
}

/** The kind whose state file the directory holds; undefined for a directory that was never completed. */
function kindOf(dir: string): EphemeralKind | undefined {
  return (Object.keys(EPHEMERAL_STATE_FILES) as EphemeralKind[]).find((kind) =>
    existsSync(path.join(dir, EPHEMERAL_STATE_FILES[kind])),
  );
}

function readState(dir: string, kind: EphemeralKind): (EphemeralState & Record<string, unknown>) | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, EPHEMERAL_STATE_FILES[kind]), 'utf8')) as Partial<
      EphemeralState & Record<string, unknown>
    >;
    return parsed.version === STATE_VERSION && typeof parsed.id === 'string'
      ? (parsed as EphemeralState & Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function serverDirs(repoRoot: string): string[] {
  const root = ephemeralRoot(repoRoot);
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => statSync(path.join(root, name)).isDirectory());
}

function portsInUse(repoRoot: string): number[] {
  return serverDirs(repoRoot).flatMap((id) => {
    const dir = ephemeralDir(repoRoot, id);
    const kind = kindOf(dir);
    const state = kind && readState(dir, kind);
    if (!kind || !state) return [];
    return PORT_FIELDS[kind].map((field) => state[field]).filter((p): p is number => Number.isInteger(p));
  });
}

function ownerAlive(owner: EphemeralOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  // Same pid but a later start time: the owner died and its pid went to another process.
  return owner.startTime === undefined || processStartTime(owner.pid) === owner.startTime;
}

/**
 * Kills (with `kill`, given the directory's id) and deletes the ephemeral servers of `kind` that nobody will destroy:
 * those tagged with `runId` (call it when that run is over), those whose owner process is gone (a test process that
 * crashed or was killed, of any run), and directories without a readable state file. Servers of live owners in other
 * runs, and every server of another kind, are left alone.
 */
export async function sweepEphemeralDirs({
  repoRoot,
  kind,
  runId,
  log,
  kill,
}: {
  repoRoot: string;
  kind: EphemeralKind;
  runId: string | undefined;
  log: Log;
  kill: (id: string) => Promise<number | undefined>;
}): Promise<SweptServer[]> {
  const root = ephemeralRoot(repoRoot);
  if (!existsSync(root)) return [];
  return withLock(
    lockDir(repoRoot),
    async () => {
      const swept: SweptServer[] = [];
      for (const id of serverDirs(repoRoot)) {
        const dir = ephemeralDir(repoRoot, id);
        const dirKind = kindOf(dir);
        // Another kind's server: only its own sweep knows how to tell its process and kill it.
        if (dirKind !== undefined && dirKind !== kind) continue;
        const state = dirKind && readState(dir, dirKind);
        const reason: SweptServer['reason'] | undefined = !state
          ? 'incomplete'
          : runId !== undefined && state.runId === runId
            ? 'run'
            : !ownerAlive(state.owner)
              ? 'orphan'
              : undefined;
        if (reason === undefined) continue;
        const killedPid = await kill(id);
        rmSync(dir, { recursive: true, force: true });
        log(`removed ephemeral ${KIND_LABELS[kind]} ${id} (${reason}${killedPid ? `, killed pid ${killedPid}` : ''})`);
        swept.push({ id, runId: state ? state.runId : undefined, killedPid, reason });
      }
      removeIfEmpty(root);
      return swept;
    },
    { log },
  );
}
