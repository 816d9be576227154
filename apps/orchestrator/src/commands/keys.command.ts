import type { Command } from 'commander';
import { OrchestratorError } from '../errors';
import type { Io } from '../io';
import { type Env, MYSQL_URL_ENV, resolveMysqlUrl } from '../mysql-url';
import type { KeyAdminStore, OpenKeyStore } from './key-store.port';
import { createdKeyJson, formatCreatedKey, formatKeyTable, formatRevoked, listedKeyJson } from './keys.output';

export interface KeysCommandDeps {
  io: Io;
  env: Env;
  openKeyStore: OpenKeyStore;
}

interface DbOptions {
  mysqlUrl?: string;
}

const withMysqlUrlOption = (cmd: Command): Command =>
  cmd.option('--mysql-url <url>', `mysql://user:password@host:port/database (default: env ${MYSQL_URL_ENV})`);

/**
 * Opens the store, runs `use` and closes the pool whatever happens, so the process can exit. `use` prints its own
 * output before the pool closes: a created key is shown even if closing then fails.
 */
async function withKeyStore(
  deps: KeysCommandDeps,
  flag: string | undefined,
  use: (store: KeyAdminStore) => Promise<void>,
): Promise<void> {
  const session = await deps.openKeyStore(resolveMysqlUrl(flag, deps.env));
  try {
    await use(session.store);
  } catch (err) {
    // The command's own error is what the operator must see; a pool that also fails to close would only hide it.
    await session.close().catch(() => undefined);
    throw err;
  }
  await session.close();
}

/** `keys create | list | revoke`: the operators' management of the API keys that the gateways accept. */
export function registerKeysCommand(program: Command, deps: KeysCommandDeps): Command {
  const { io } = deps;
  const keys = program
    .command('keys')
    .description('Manage the API keys the gateways accept (create, list, revoke)')
    .addHelpText(
      'after',
      `\nEach command reads the database from --mysql-url or ${MYSQL_URL_ENV} and applies pending migrations first.`,
    );

  const create = withMysqlUrlOption(
    keys
      .command('create')
      .description('Issue a key for a user and print it: the only time it is shown')
      .requiredOption('--user <userId>', 'the user the key acts for')
      .option('--label <text>', 'what the key is for, shown by list (1-128 characters)')
      .option('--json', 'print one JSON object {keyId, userId, label, apiKey}'),
  ).action(async () => {
    const o = create.opts<DbOptions & { user: string; label?: string; json?: boolean }>();
    await withKeyStore(deps, o.mysqlUrl, async (store) => {
      const key = createdKeyJson(await store.create({ userId: o.user, label: o.label }), o.user, o.label ?? null);
      io.out(o.json ? `${JSON.stringify(key)}\n` : formatCreatedKey(key));
    });
  });

  const list = withMysqlUrlOption(
    keys
      .command('list')
      .description("List the keys (never their secrets), everyone's or one user's, oldest first")
      .option('--user <userId>', "only this user's keys")
      .option('--json', 'print a JSON array of {keyId, userId, label, createdAt, revokedAt}'),
  ).action(async () => {
    const o = list.opts<DbOptions & { user?: string; json?: boolean }>();
    await withKeyStore(deps, o.mysqlUrl, async (store) => {
      const found = await store.list(o.user);
      if (o.json) io.out(`${JSON.stringify(found.map(listedKeyJson))}\n`);
      else if (found.length === 0) io.out(`No API keys${o.user === undefined ? '' : ` for user ${o.user}`}.\n`);
      else io.out(formatKeyTable(found));
    });
  });

  const revoke = withMysqlUrlOption(
    keys
      .command('revoke')
      .description('Revoke a key; the gateways stop accepting it within their API key cache ttl')
      .argument('<keyId>', 'the key id (ak_…), as create and list show it'),
  ).action(async (keyId: string) => {
    const o = revoke.opts<DbOptions>();
    await withKeyStore(deps, o.mysqlUrl, async (store) => {
      if (!(await store.revoke(keyId)))
        throw new OrchestratorError(
          'ORCH_ERR_KEY_NOT_LIVE',
          `no live API key ${keyId}: no key has that id, or it was already revoked (keys list shows which)`,
        );
      io.out(formatRevoked(keyId));
    });
  });

  return keys;
}
