import { Command, Option } from 'commander';
import { InfraError } from './errors';
import { down, envLines, SERVICES, type Service, status, up } from './infra';

const profileOption = () =>
  new Option('-p, --profile <name>', 'test (fast, throwaway) or stack (durable)')
    .choices(['test', 'stack'])
    .default('test');

/** `tools/infra` CLI. Returns the exit code instead of calling process.exit so output is flushed. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('infra')
    .description('Local Kafka and MariaDB for shardex on machines without a Docker engine')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('up')
    .description('install if needed, start MariaDB and Kafka, and wait until both really answer')
    .addOption(profileOption())
    .addOption(new Option('-s, --service <name...>', 'only these services').choices([...SERVICES]))
    .action(async (o: { profile: 'test' | 'stack'; service?: Service[] }) => {
      const t0 = Date.now();
      const res = await up({
        profile: o.profile,
        services: o.service,
        cacheDir: process.env['SHARDEX_INFRA_CACHE'] || undefined,
      });
      const what = res.started.length ? `started ${res.started.join(' and ')}` : 'already up';
      process.stderr.write(`infra ${res.profile}: ${what} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
      for (const line of envLines(res.profile)) process.stdout.write(`${line}\n`);
    });

  program
    .command('down')
    .description('stop what `up` started for the profile (services started otherwise are left alone)')
    .addOption(profileOption())
    .addOption(new Option('-s, --service <name...>', 'only these services').choices([...SERVICES]))
    .option('--purge', "also delete the profile's data directories")
    .action(async (o: { profile: 'test' | 'stack'; service?: Service[]; purge?: boolean }) => {
      const res = await down({ profile: o.profile, services: o.service, purge: o.purge === true });
      process.stderr.write(`infra ${o.profile}: stopped ${res.stopped.join(', ') || 'nothing'}\n`);
    });

  program
    .command('status')
    .description('what is running where')
    .addOption(new Option('-p, --profile <name>', 'one profile (default: all)').choices(['test', 'stack']))
    .option('--json', 'machine-readable output')
    .action(async (o: { profile?: 'test' | 'stack'; json?: boolean }) => {
      const profiles = o.profile ? [o.profile] : (['test', 'stack'] as const);
      const rows = (await Promise.all(profiles.map((profile) => status({ profile })))).flat();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const state = r.running ? (r.answering ? 'running' : 'running, not answering') : 'stopped';
        const owner = r.running ? (r.startedByUp ? ', started by up' : ', not started by up') : '';
        process.stdout.write(
          `${r.profile.padEnd(5)} ${r.service.padEnd(7)} ${state}${r.pid ? ` (pid ${r.pid}${owner})` : ''}\n` +
            `      address ${r.address}\n      data    ${r.dataDir}\n      log     ${r.logPath}\n`,
        );
      }
    });

  program
    .command('env')
    .description('print `export` lines for the profile\'s connection settings (eval "$(tools/infra env)")')
    .addOption(profileOption())
    .action((o: { profile: 'test' | 'stack' }) => {
      for (const line of envLines(o.profile)) process.stdout.write(`${line}\n`);
    });

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number') return err.exitCode; // commander
    if (err instanceof InfraError) {
      process.stderr.write(`infra: ${err.code}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`infra: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
