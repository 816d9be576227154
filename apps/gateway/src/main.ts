import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { loadConfig } from './config';
import { startGateway } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'gateway' } });
  const gateway = await startGateway(config, log);
  // SIGTERM/SIGINT (or an uncaught error): stop taking requests, let in-flight ones and their produces finish, close.
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'gateway failed; shutting down');
    else log.info({ signal }, 'shutting down');
    await gateway.stop();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
