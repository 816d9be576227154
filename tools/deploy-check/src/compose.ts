import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { COMPOSE_DOTENV, COMPOSE_FILE, rootPath } from './paths';

/** The parts of a compose service the checks read; the schema test covers the rest. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  configs?: Array<string | { source: string; target?: string }>;
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  profiles?: string[];
  restart?: string;
  stop_grace_period?: string;
  read_only?: boolean;
  cap_drop?: string[];
  ports?: Array<string | number | { target: number; published?: string | number }>;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  configs?: Record<string, { file?: string; environment?: string; content?: string }>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

/** `KEY=value` lines of a dotenv file (comments and blank lines skipped, surrounding quotes removed). */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m?.[1] || line.trim().startsWith('#')) continue;
    env[m[1]] = (m[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

/**
 * Compose's interpolation of one string: `$$` is a literal `$`; `${VAR}`, `$VAR`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}` and `${VAR?error}` (an error is thrown, as compose refuses the file).
 */
export function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = env[name];
      const unset = value === undefined || (op?.startsWith(':') === true && value === '');
      if (!unset) return value;
      if (op === ':-' || op === '-') return arg ?? '';
      if (op === ':?' || op === '?') throw new Error(`${name}: ${arg || 'required'}`);
      return '';
    },
  );
}

function interpolateAll(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]));
  return value;
}

/** docker/.env, what compose interpolates with (the tests use it alone, never the shell's environment). */
export function composeDotenv(): Record<string, string> {
  return parseDotenv(readFileSync(rootPath(COMPOSE_DOTENV), 'utf8'));
}

/** The compose file as compose sees it: YAML merge keys (`<<`) resolved, then interpolated with docker/.env. */
export function loadCompose(): ComposeFile {
  const raw: unknown = parse(readFileSync(rootPath(COMPOSE_FILE), 'utf8'), { merge: true });
  return interpolateAll(raw, composeDotenv()) as ComposeFile;
}

/** A service's environment as a map (compose accepts a map or a list of KEY=value). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(
      env.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.condition]));
}

/** A command as an argument list (the string form is split on whitespace, as compose does without quotes). */
export function argv(command: string[] | string | undefined): string[] | undefined {
  if (command === undefined) return undefined;
  return Array.isArray(command) ? command : command.trim().split(/\s+/);
}
