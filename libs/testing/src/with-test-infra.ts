import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { provideTestInfra } from './provide-infra';
import { sweepRun } from './sweep';
import { ENV_RUN_ID, infraToEnv } from './test-infra';

/**
 * Runs `command` with the test infrastructure provided once for all of it (so several jest processes share one
 * broker and one server), then removes the run's leftovers and stops what was started. Returns the exit code.
 */
export async function main(command: readonly string[]): Promise<number> {
  const [cmd, ...args] = command;
  if (!cmd) {
    process.stderr.write('usage: with-test-infra <command> [args...]\n');
    return 2;
  }
  const infra = await provideTestInfra();
  const run = process.env[ENV_RUN_ID] ?? randomBytes(4).toString('hex');
  process.stderr.write(
    `test infra (${infra.source}): kafka ${infra.kafkaBrokers.join(',')}, mysql ${infra.mysql.host}:${infra.mysql.port}\n`,
  );
  let code: number;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(cmd, args, {
        stdio: 'inherit',
        env: { ...process.env, ...infraToEnv(infra), [ENV_RUN_ID]: run },
      });
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      child.on('error', (err) => {
        process.stderr.write(`with-test-infra: cannot run ${cmd}: ${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (exitCode, signal) => {
        process.off('SIGINT', forward);
        process.off('SIGTERM', forward);
        resolve(exitCode ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    await sweepRun(run, infra).catch((err: unknown) =>
      process.stderr.write(`with-test-infra: sweep failed: ${String(err)}\n`),
    );
    await infra.release();
  }
  return code;
}
