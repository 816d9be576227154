import { Command, CommanderError } from 'commander';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Builds the CLI; commands that broadcast lifecycle commands to the shards are added as the router lands. */
export function buildCli(io: Io): Command {
  return new Command('shardex-orchestrator')
    .description(
      'Broadcasts lifecycle commands (INITIALIZE_ENGINE, START_ENGINE, STOP_ENGINE) to every matching-engine shard',
    )
    .version('0.1.0')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
}

/** Runs the CLI and returns the exit code (0 ok, 1 failure, 2 usage), leaving process.exit to main.ts. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    await buildCli(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
