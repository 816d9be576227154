import { createApiKeyStore, createDb, migrateLatest } from '@shardex/db';
import type { KeyStoreSession } from '../commands/key-store.port';

export interface MysqlKeyStoreOptions {
  /** Where knex's own warnings go, one line each (default: dropped). */
  warn?: (line: string) => void;
}

/**
 * knex's warnings, first line only: its default logger prints them, stacks and all, with console.log, i.e. on
 * stdout, in the middle of a `--json` output. A failed connection is dropped: knex logs it *and* throws it, and the
 * thrown one reaches the operator as the command's error.
 */
function knexLogger(warn: (line: string) => void) {
  const log = (obj: object) => {
    const message = String((obj as { message?: unknown }).message ?? '');
    if (!message.startsWith('Acquire connection error')) warn(`knex: ${message.split('\n', 1)[0]}`);
  };
  return { warn: log, error: log };
}

/**
 * The API key store on MySQL. Migrates first, as every process of ours does on start-up: on a fresh database the
 * api_keys table may not exist yet. The pool is destroyed if the migration fails, and by `close` otherwise.
 */
export async function openMysqlKeyStore(
  mysqlUrl: string,
  { warn = () => undefined }: MysqlKeyStoreOptions = {},
): Promise<KeyStoreSession> {
  const db = createDb({ url: mysqlUrl, logger: knexLogger(warn) });
  try {
    await migrateLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { store: createApiKeyStore(db), close: () => db.destroy() };
}
