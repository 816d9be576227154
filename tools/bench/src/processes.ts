import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** A loopback port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Where its stdout and stderr go (undefined: inherited). */
  logFile: string | undefined;
  /** Resolves with the exit code (null: killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 30 s); resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartAppOptions {
  name: string;
  /** The script node runs, e.g. dist/apps/gateway/main.js (absolute, or relative to `cwd`). */
  script: string;
  args?: readonly string[];
  /** Added to this process's environment. */
  env: Readonly<Record<string, string>>;
  /** Polled until it answers 200: the process is ready. */
  readyUrl: string;
  readyTimeoutMs?: number;
  /** Append stdout and stderr here; default: inherit this process's. */
  logFile?: string;
  /** Node.js flags before the script, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
  cwd?: string;
}

/** The last `lines` lines of a log file ('' when there is none). */
export function tail(file: string | undefined, lines = 20): string {
  if (!file || !existsSync(file)) return '';
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

function track(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * Starts a production bundle under this Node.js and waits until `readyUrl` answers 200; a process that exits first,
 * or is not ready in time, is stopped and reported with the end of its log.
 */
export async function startApp({
  name,
  script,
  args = [],
  env,
  readyUrl,
  readyTimeoutMs = 60_000,
  logFile,
  nodeArgs = [],
  cwd = process.cwd(),
}: StartAppOptions): Promise<AppProcess> {
  const fd = logFile ? openSync(logFile, 'a') : undefined;
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: fd === undefined ? ['ignore', 'inherit', 'inherit'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd); // the child has its own copy
  const exited = track(child);
  const app: AppProcess = {
    name,
    pid: child.pid ?? -1,
    child,
    logFile,
    exited,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) while starting${logFile ? `; end of ${logFile}:\n${tail(logFile)}` : ''}`,
      );
    }
    const ok = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return app;
    if (performance.now() > deadline) {
      await app.stop(5_000);
      throw new Error(
        `${name} was not ready (${readyUrl}) within ${readyTimeoutMs} ms${logFile ? `; end of ${logFile}:\n${tail(logFile)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface CliResult {
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CLI bundle to completion and collects its output; rejects when it exits non-zero (with its stderr).
 * `onSpawn` hears the pid at once (whatever the CLI leaves behind, a consumer group say, may carry it).
 */
export async function runCli(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  {
    cwd = process.cwd(),
    timeoutMs = 120_000,
    onSpawn,
  }: { cwd?: string; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (code !== 0)
    throw new Error(`${script} ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim() || '(no output)'}`);
  return { pid: child.pid ?? -1, code, stdout, stderr };
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** CPU time (user + system) a process has used so far, ms, from /proc (undefined elsewhere or when it is gone). */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of the whole machine so far from /proc/stat, ms summed over all cores: `busy` (everything but idle and
 * iowait) and `total`. Undefined where there is no /proc.
 */
export function machineCpuMs(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return undefined;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const busy = user + nice + system + irq + softirq + steal;
    return { busy: (busy * 1000) / TICKS_PER_SECOND, total: ((busy + idle + iowait) * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}
