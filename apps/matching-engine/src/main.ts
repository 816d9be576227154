import { createServer } from 'node:http';
import pino from 'pino';
import { loadConfig } from './config';

// The process shell every later piece plugs into: config, JSON logs with the shard id, health, clean shutdown.
function main(): void {
  const config = loadConfig();
  const log = pino({ base: { service: 'matching-engine', shardId: config.shardId } });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', shardId: config.shardId }));
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ statusCode: 404, error: 'Not Found' }));
  });
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  server.listen(config.httpPort, config.httpHost, () => log.info({ port: config.httpPort }, 'listening'));
}

try {
  main();
} catch (err) {
  process.stderr.write(`matching-engine: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
