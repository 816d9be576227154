import { ConfigError } from './errors';

export { ConfigError };

/** Gateway settings, parsed once at start-up from the environment and frozen. */
export interface GatewayConfig {
  /** Interface to bind; default 127.0.0.1 (containers set 0.0.0.0). */
  readonly host: string;
  /** HTTP port; default 8080. */
  readonly port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const LEVELS: ReadonlyArray<GatewayConfig['logLevel']> = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new ConfigError(`${name} must be a port number (1-65535), got "${raw}"`);
  return port;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const logLevel = (env['LOG_LEVEL'] ?? 'info') as GatewayConfig['logLevel'];
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  return Object.freeze({ host: env['HOST'] ?? '127.0.0.1', port: parsePort('PORT', env['PORT'], 8080), logLevel });
}
