/** Shard process settings, parsed once at start-up from the environment and frozen. */
export interface EngineConfig {
  /** The shard this process owns, e.g. `shard-1`. Required: a shard process that guesses its id corrupts another's data. */
  readonly shardId: string;
  /** Port of the small HTTP server for /health (and later /ready, /metrics); default 9464. */
  readonly httpPort: number;
  readonly httpHost: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ENGINE_ERR_CONFIG';
}

const SHARD_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const shardId = env['SHARD_ID'];
  if (!shardId) throw new ConfigError('SHARD_ID is required (e.g. SHARD_ID=shard-1)');
  if (!SHARD_ID.test(shardId))
    throw new ConfigError(`SHARD_ID must be lower-case letters, digits and dashes, got "${shardId}"`);
  const rawPort = env['HTTP_PORT'] ?? '9464';
  const httpPort = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || httpPort < 1 || httpPort > 65535) {
    throw new ConfigError(`HTTP_PORT must be a port number (1-65535), got "${rawPort}"`);
  }
  return Object.freeze({ shardId, httpPort, httpHost: env['HTTP_HOST'] ?? '127.0.0.1' });
}
