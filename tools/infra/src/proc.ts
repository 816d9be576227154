import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './errors';

export type Log = (line: string) => void;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; with `echo`, streams its output through `log` so long installs show progress. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; echo?: Log } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const onData = (sink: 'out' | 'err') => (chunk: Buffer) => {
      const text = chunk.toString();
      if (sink === 'out') stdout += text;
      else stderr += text;
      if (opts.echo) for (const line of text.split('\n')) if (line.trim()) opts.echo(`  ${line.trimEnd()}`);
    };
    child.stdout.on('data', onData('out'));
    child.stderr.on('data', onData('err'));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export async function which(
  cmd: string,
  extraDirs: readonly string[] = ['/usr/sbin', '/sbin'],
): Promise<string | undefined> {
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), ...extraDirs]) {
    if (dir && existsSync(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  return undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Starts a long-running server in its own session, output appended to `logFile`, and lets this process exit. */
export function spawnDetached(
  cmd: string,
  args: readonly string[],
  opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): number {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined)
      throw new InfraError('INFRA_ERR_START', `could not spawn ${cmd}`, { logPath: opts.logFile });
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  return 'killed';
}

/** SIGKILL (no shutdown at all: what a crash or the OOM killer does); resolves once the process is gone. */
export async function killPid(pid: number): Promise<'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    // It exited between the check and the signal: the outcome the caller wants.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'not-running';
    throw err;
  }
  while (isAlive(pid)) await sleep(50);
  return 'killed';
}

/**
 * The process's argv from /proc (Linux), or undefined when it is gone or /proc is not there. Used to make sure a pid
 * read from a file is still the server we started before signalling it: pids are reused.
 */
export function processCommandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined off Linux or when
 * it is gone. A pid plus its start time names one process for good, where a pid alone may be reused.
 */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (the command name) is in parentheses and may itself contain spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[19]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `probe` until it resolves true. Fails early when `stillRunning` says the server died, so a crash is reported
 * with its log instead of after the whole timeout.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; stillRunning?: () => boolean; logPath?: string; log?: Log },
): Promise<void> {
  const started = Date.now();
  let lastNotice = started;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (opts.stillRunning && !opts.stillRunning()) {
      throw new InfraError('INFRA_ERR_START', `${what} exited while starting${logHint(opts.logPath)}`, {
        logPath: opts.logPath,
      });
    }
    const now = Date.now();
    if (now - started > opts.timeoutMs) {
      throw new InfraError(
        'INFRA_ERR_START',
        `${what} did not answer within ${opts.timeoutMs / 1000}s${logHint(opts.logPath)}`,
        {
          logPath: opts.logPath,
        },
      );
    }
    if (opts.log && now - lastNotice >= 5000) {
      opts.log(`  still waiting for ${what} (${Math.round((now - started) / 1000)}s)`);
      lastNotice = now;
    }
    await sleep(250);
  }
}

/** Refuses to start a server on a port something else (another checkout's `up`, a system service) holds. */
export async function assertPortFree(port: number, what: string, ourDir: string): Promise<void> {
  if (await portOpen(port)) {
    throw new InfraError(
      'INFRA_ERR_PORT_IN_USE',
      `127.0.0.1:${port} is taken, but not by ${what} of ${ourDir}: stop whatever holds it (another checkout's \`tools/infra down\`?) and retry`,
    );
  }
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function logHint(logPath: string | undefined): string {
  if (!logPath) return '';
  const last = tail(logPath, 15);
  return `; log: ${logPath}${last ? `\n--- last lines of ${logPath} ---\n${last}` : ''}`;
}

/**
 * A directory lock (mkdir is atomic) so two `up`s (say, two jest processes) don't both install or start a service.
 * A lock left by a dead process is taken over.
 */
export async function withLock<T>(
  lockDir: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; log?: Log } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(`${lockDir}/pid`, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(`${lockDir}/pid`);
      if (holder === undefined || !isAlive(holder)) {
        // Either the holder died, or it is between mkdir and writing its pid; give the latter a moment.
        await sleep(300);
        const again = readPid(`${lockDir}/pid`);
        if (again === undefined || !isAlive(again)) rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new InfraError(
          'INFRA_ERR_LOCKED',
          `${lockDir} is held by pid ${holder} for more than ${timeoutMs / 1000}s`,
        );
      }
      if (!told) opts.log?.(`waiting for pid ${holder} (another tools/infra command) to finish`);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
