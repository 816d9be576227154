import { Command, CommanderError } from 'commander';
import { openMysqlKeyStore } from './adapters/mysql-key-store';
import type { OpenKeyStore } from './commands/key-store.port';
import { registerKeysCommand } from './commands/keys.command';
import { registerLifecycleCommands } from './commands/lifecycle.command';
import { type CreateTopics, registerTopicsCommand } from './commands/topics.command';
import { type ReadStatus, registerStatusCommand } from './commands/status.command';
import { openKafkaLifecycle } from './adapters/kafka-lifecycle';
import type { OpenLifecycle } from './lifecycle/lifecycle.port';
import { describeError, isUsageError } from './errors';
import type { Io } from './io';
import type { Env } from './mysql-url';

export type { Io } from './io';

export interface CliDeps {
  /** Read for MYSQL_URL. Default: empty — main.ts passes process.env, so tests never pick up a developer's shell. */
  env?: Env;
  /** Default: the MySQL adapter (migrates, then libs/db's API key store), its warnings on stderr. */
  openKeyStore?: OpenKeyStore;
  /** Default: Kafka (and MySQL for init's instrument registry). */
  openLifecycle?: OpenLifecycle;
  /** Default: the file system. */
  readFile?: (path: string) => string;
  /** Default: libs/kafka's ensureTopics. */
  createTopics?: CreateTopics;
  /** Default: the output/DLQ tails, consumer groups and MySQL. */
  readStatus?: ReadStatus;
}

/** Builds the CLI: `topics create`, the lifecycle broadcasts (`init`, `start`, `stop`), `status` and API `keys`. */
export function buildCli(
  io: Io,
  {
    env = {},
    openKeyStore = (url) => openMysqlKeyStore(url, { warn: (line) => io.err(`warning: ${line}\n`) }),
    openLifecycle = openKafkaLifecycle,
    readFile,
    createTopics,
    readStatus,
  }: CliDeps = {},
): Command {
  const program = new Command('shardex-orchestrator')
    .description(
      'Broadcasts lifecycle commands (INITIALIZE_ENGINE, START_ENGINE, STOP_ENGINE) to every matching-engine shard, ' +
        'and manages the API keys the gateways accept (keys create | list | revoke)',
    )
    .version('0.1.0')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  // Subcommands made with .command() inherit the output and exit settings above.
  registerKeysCommand(program, { io, env, openKeyStore });
  registerTopicsCommand(program, {
    io,
    env,
    ...(readFile ? { readFile } : {}),
    ...(createTopics ? { createTopics } : {}),
  });
  registerLifecycleCommands(program, { io, env, openLifecycle, ...(readFile ? { readFile } : {}) });
  registerStatusCommand(program, { io, env, ...(readFile ? { readFile } : {}), ...(readStatus ? { readStatus } : {}) });
  return program;
}

/**
 * Runs the CLI and returns the exit code (0 ok, 1 failure, 2 usage), leaving process.exit to main.ts. Errors are
 * one line on stderr (a coded error's message starts with its code), never a stack trace.
 */
export async function run(argv: readonly string[], io: Io, deps: CliDeps = {}): Promise<number> {
  try {
    await buildCli(io, deps).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(`${describeError(err)}\n`);
    return isUsageError(err) ? 2 : 1;
  }
}
