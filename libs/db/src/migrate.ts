import type { Knex } from 'knex';
import { DbError } from './errors';
import { migrationSource } from './migrations';

const config: Knex.MigratorConfig = { migrationSource, tableName: 'shardex_migrations' };

/** Applies every pending migration; returns the names applied. Safe to run from several processes at once (knex locks). */
export async function migrateLatest(db: Knex): Promise<string[]> {
  try {
    const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
    return applied;
  } catch (cause) {
    throw new DbError('DB_ERR_MIGRATION', (cause as Error).message, { cause });
  }
}

/** Reverts every migration (tests and tear-down only). */
export async function migrateDownAll(db: Knex): Promise<string[]> {
  try {
    const [, reverted] = (await db.migrate.rollback(config, true)) as [number, string[]];
    return reverted;
  } catch (cause) {
    throw new DbError('DB_ERR_MIGRATION', (cause as Error).message, { cause });
  }
}
