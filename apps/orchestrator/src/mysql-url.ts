import { parseDatabaseUrl } from '@shardex/db';
import { OrchestratorError } from './errors';

/** The environment the CLI reads; main.ts passes process.env, tests pass what they mean. */
export type Env = Readonly<Record<string, string | undefined>>;

export const MYSQL_URL_ENV = 'MYSQL_URL';
export const MYSQL_URL_FLAG = '--mysql-url';
const SHAPE = 'mysql://user:password@host:port/database';

/**
 * The URL with its password replaced, so an error message never prints a credential; undefined unless it is a URL
 * with a host: in `user:pw@host/db` (the scheme forgotten) URL parsing sees scheme `user:` and the password in the
 * path, and nothing can tell which part is secret.
 */
export function redactUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.host === '') return undefined;
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return undefined;
  }
}

/**
 * The MySQL URL of a command: `--mysql-url` when given, else MYSQL_URL (an empty variable counts as unset). Checked
 * once, with the parser createDb itself uses, before anything connects; a missing or malformed one is
 * ORCH_ERR_USAGE naming where it came from.
 */
export function resolveMysqlUrl(flag: string | undefined, env: Env): string {
  const fromEnv = env[MYSQL_URL_ENV];
  const [url, source] =
    flag !== undefined ? [flag, MYSQL_URL_FLAG] : fromEnv ? [fromEnv, MYSQL_URL_ENV] : [undefined, undefined];
  if (url === undefined || source === undefined)
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `no MySQL URL: pass ${MYSQL_URL_FLAG} or set ${MYSQL_URL_ENV} (${SHAPE})`,
    );
  try {
    parseDatabaseUrl(url);
  } catch {
    // Our own message and no cause: the parser's may quote the URL whole, password included.
    const shown = redactUrl(url);
    throw new OrchestratorError(
      'ORCH_ERR_USAGE',
      `${source} must be ${SHAPE}, got ${shown === undefined ? 'something that is not a URL' : `"${shown}"`}`,
    );
  }
  return url;
}
