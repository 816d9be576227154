import type { Knex } from 'knex';
import { DbError } from './errors';
import { migrationSource } from './migrations';

const config: Knex.MigratorConfig = { migrationSource, tableName: 'shardex_migrations' };

function isLocked(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'MigrationLocked';
}

/**
 * Two processes that both find knex's bookkeeping tables missing both create them: the loser gets "table exists"
 * (1050) or a duplicate lock row (1062). Nothing was migrated by it; the next attempt finds the tables there.
 */
function lostBookkeepingRace(err: unknown): boolean {
  const e = err as { errno?: number; message?: string } | undefined;
  return (e?.errno === 1050 || e?.errno === 1062) && /shardex_migrations/.test(e.message ?? '');
}

/**
 * Applies every pending migration; returns the names applied. Safe to run from several processes at once: knex's
 * lock lets one migrate, and the others — which knex fails at once — wait here until it is done (up to
 * `lockWaitMs`), then find nothing left to apply. Shards and gateways starting together on a fresh database did
 * exactly that, and all but one exited.
 */
export async function migrateLatest(
  db: Knex,
  { lockWaitMs = 60_000, pollMs = 200 }: { lockWaitMs?: number; pollMs?: number } = {},
): Promise<string[]> {
  // knex's own lock lives in tables it creates on first use, and creating them is itself racy (two lock rows, then a
  // lock nobody can take). A server-side named lock, held on a connection of its own outside the pool, serialises
  // the whole migration across processes first; knex's lock then never contends.
  type Raw = { query(sql: string, values: unknown[], cb: (err: Error | null, rows: unknown) => void): void };
  const client = db.client as { acquireRawConnection(): Promise<Raw>; destroyRawConnection(c: Raw): Promise<void> };
  const ask = (conn: Raw, sql: string, values: unknown[] = []) =>
    new Promise<Array<Record<string, unknown>>>((resolve, reject) =>
      conn.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as Array<Record<string, unknown>>))),
    );
  let conn: Raw;
  try {
    conn = await client.acquireRawConnection();
  } catch (cause) {
    throw new DbError('DB_ERR_MIGRATION', (cause as Error).message, { cause });
  }
  try {
    const [row] = await ask(conn, 'SELECT GET_LOCK(CONCAT(?, DATABASE()), ?) AS got', [
      'shardex-migrate:',
      Math.ceil(lockWaitMs / 1000),
    ]);
    if (Number(row?.['got']) !== 1)
      throw new DbError('DB_ERR_MIGRATION', `another process kept migrating this database for over ${lockWaitMs} ms`);
    return await migrateUnderLock(db, lockWaitMs, pollMs);
  } catch (cause) {
    if (cause instanceof DbError) throw cause;
    throw new DbError('DB_ERR_MIGRATION', (cause as Error).message, { cause });
  } finally {
    // Closing the session releases the named lock too; RELEASE_LOCK first makes it immediate.
    await ask(conn, 'DO RELEASE_LOCK(CONCAT(?, DATABASE()))', ['shardex-migrate:']).catch(() => undefined);
    await client.destroyRawConnection(conn).catch(() => undefined);
  }
}

async function migrateUnderLock(db: Knex, lockWaitMs: number, pollMs: number): Promise<string[]> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
      return applied;
    } catch (cause) {
      if ((isLocked(cause) || lostBookkeepingRace(cause)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, pollMs));
        continue;
      }
      const hint = isLocked(cause)
        ? ` (still locked after ${lockWaitMs} ms: if no migration is running, a crashed one left the lock; clear is_locked in shardex_migrations_lock)`
        : '';
      throw new DbError('DB_ERR_MIGRATION', `${(cause as Error).message}${hint}`, { cause });
    }
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
