import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The apps as users run them: the production bundles (`dist/apps/<app>/main.js`, built by the integration target's
 * dependencies), each in its own process, stopped with real signals. Every line a process prints goes to a log
 * file under `dist/test-results/system-e2e/`, which a failing test names.
 */

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const LOG_DIR = path.join(ROOT, 'dist', 'test-results', 'system-e2e');

export type AppName = 'gateway' | 'matching-engine' | 'orchestrator';

export function bundle(app: AppName): string {
  return path.join(ROOT, 'dist', 'apps', app, 'main.js');
}

/** Processes still running when the test process ends are killed, whatever happened. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

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

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * One long-running app (a shard or a gateway) that a test may kill and start again: same name, same environment,
 * same ports, one log file across its incarnations.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  private readonly log: WriteStream;
  readonly logFile: string;
  /** The last lines printed, for a failing test's message. */
  private tail: string[] = [];
  starts = 0;

  constructor(
    readonly name: string,
    readonly app: AppName,
    readonly env: Record<string, string>,
    /** Answers 200 once the process serves (its /health). */
    readonly healthUrl: string,
  ) {
    mkdirSync(LOG_DIR, { recursive: true });
    this.logFile = path.join(LOG_DIR, `${name}.log`);
    this.log = createWriteStream(this.logFile, { flags: 'w' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and waits until its /health answers 200. */
  async start(): Promise<void> {
    if (this.alive) throw new Error(`${this.name} is already running`);
    this.starts++;
    this.log.write(`\n----- start #${this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [bundle(this.app)], {
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      this.tail.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.tail.length > 60) this.tail = this.tail.slice(-40);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.log.write(`----- exited (code ${code}, signal ${signal})\n`);
        resolve();
      }),
    );
    await until(
      `${this.name} to answer ${this.healthUrl} (log ${this.logFile})`,
      async () => {
        if (!this.alive) throw new Error('exited');
        return (await fetch(this.healthUrl)).status === 200;
      },
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlast lines:\n${this.tail.slice(-15).join('\n')}`);
    });
  }

  /** Sends `signal` and waits for the process to end (SIGTERM: its graceful shutdown). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.alive) return;
    this.child?.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exit.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), 30_000))),
    ]);
    clearTimeout(timer);
    if (!done) {
      this.child?.kill('SIGKILL');
      await this.exit;
    }
  }

  lastLines(n = 15): string {
    return this.tail.slice(-n).join('\n');
  }

  async close(): Promise<void> {
    await this.stop('SIGKILL');
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}

/** Runs a one-shot command of an app (the orchestrator's CLI) to its end; rejects on a non-zero exit. */
export async function runOnce(
  app: AppName,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle(app), ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${app} ${args.join(' ')} → exit ${code ?? signal}\n${stdout}\n${stderr}`));
    });
  });
}
