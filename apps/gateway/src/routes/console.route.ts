import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../errors';

export interface ConsoleRoutesOptions {
  /** The console's build (dist/apps/console); undefined or without an index.html: `/` says how to build it. */
  dir: string | undefined;
}

/** Vite names every bundled asset after its content hash, so a cached copy can never be stale. */
const HASHED_ASSET = /[/\\]assets[/\\][^/\\]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export const CONSOLE_NOT_BUILT =
  'The web console is not built. Build it with `npx nx build console` (it goes to dist/apps/console), or point ' +
  'CONSOLE_DIR at a build, and restart the gateway. The API works without it: see /docs.';

/**
 * The web console (apps/console) at `/`: its index.html is revalidated on every load (no-cache) so a new build is
 * picked up at once; the hashed assets it names are cached for a year.
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, { dir }) => {
  if (dir === undefined || !existsSync(path.join(dir, 'index.html'))) {
    // The API's own 404 shape: clients and probes that read JSON errors keep working.
    app.get('/', { schema: { hide: true } }, async () => {
      throw new ApiError('NOT_FOUND', CONSOLE_NOT_BUILT);
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: path.resolve(dir),
    prefix: '/',
    // One route per file of the build (found at start): unknown paths stay the API's JSON 404s.
    wildcard: false,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply, file) => {
      reply.header('cache-control', HASHED_ASSET.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
};
