import type { Knex } from 'knex';
import { DbError, isTransactionConflict } from './errors';
import { LEASES_TABLE } from './tables';

/**
 * Proof of being the one writer of a shard, checked inside every transaction that writes for it. A write whose
 * transaction finds another epoch in the lease row fails with DB_ERR_FENCED and changes nothing.
 */
export interface WriteFence {
  readonly shardId: string;
  readonly epoch: number;
  /**
   * Takes a shared lock on the shard's lease row and throws DB_ERR_FENCED unless it still holds this epoch. Call it
   * last, just before the commit: the lock (which a takeover waits for) is then held for one round trip only.
   */
  assert(trx: Knex.Transaction): Promise<void>;
}

export type LeaseAttempt =
  { acquired: true; epoch: number } | { acquired: false; owner: string; epoch: number; expiresInMs: number };

export interface LeaseStore {
  /**
   * Takes the shard's lease when it is free, expired, or already this owner's; each grant raises the epoch, so
   * whatever an earlier grant (another process, or an earlier incarnation of this one) still has in flight is fenced.
   */
  tryAcquire(shardId: string, owner: string, ttlMs: number): Promise<LeaseAttempt>;
  /** Extends the lease; false when it is no longer this owner's epoch (then stop writing at once). */
  renew(shardId: string, owner: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Ends the lease now (graceful shutdown), so a standby takes over without waiting for it to expire. */
  release(shardId: string, owner: string, epoch: number): Promise<void>;
  /** Who holds the shard's lease, if anyone ever did. */
  current(shardId: string): Promise<{ owner: string; epoch: number; expiresInMs: number } | undefined>;
  fence(shardId: string, epoch: number): WriteFence;
}

interface LeaseRow {
  owner: string;
  epoch: string | number;
  remaining_us: string | number | null;
}

/** Milliseconds as a MICROSECOND interval: DATE_ADD with it works the same on MySQL 8 and MariaDB. */
const micros = (ms: number) => Math.round(ms * 1000);

export function createLeaseStore(db: Knex): LeaseStore {
  const read = async (q: Knex | Knex.Transaction, shardId: string, lock: 'FOR UPDATE' | '') => {
    const [rows] = (await q.raw(
      `SELECT owner, epoch, TIMESTAMPDIFF(MICROSECOND, NOW(3), expires_at) AS remaining_us FROM ?? WHERE shard_id = ? ${lock}`,
      [LEASES_TABLE, shardId],
    )) as [LeaseRow[]];
    const row = rows[0];
    return row && { owner: row.owner, epoch: Number(row.epoch), remainingMs: Number(row.remaining_us ?? 0) / 1000 };
  };

  const checkTtl = (ttlMs: number) => {
    if (!Number.isInteger(ttlMs) || ttlMs < 100)
      throw new DbError('DB_ERR_CONFIG', `lease ttl must be an integer >= 100 ms, got ${ttlMs}`);
  };

  return {
    async tryAcquire(shardId, owner, ttlMs) {
      checkTtl(ttlMs);
      // A plain read first: a standby polling a held lease takes no lock that the holder's writes would queue behind.
      const seen = await read(db, shardId, '');
      if (seen && seen.owner !== owner && seen.remainingMs > 0)
        return { acquired: false, owner: seen.owner, epoch: seen.epoch, expiresInMs: seen.remainingMs };
      const acquireLocked = async (trx: Knex.Transaction): Promise<LeaseAttempt> => {
        // The row exists from the first attempt on, so concurrent acquirers serialise on its lock.
        await trx.raw(
          'INSERT INTO ?? (shard_id, owner, epoch, expires_at, acquired_at, renewed_at) VALUES (?, ?, 0, NOW(3), NOW(3), NOW(3)) ON DUPLICATE KEY UPDATE shard_id = shard_id',
          [LEASES_TABLE, shardId, ''],
        );
        const held = await read(trx, shardId, 'FOR UPDATE');
        if (!held) throw new DbError('DB_ERR_CONFIG', `lease row of ${shardId} vanished`);
        if (held.owner !== owner && held.remainingMs > 0) {
          return { acquired: false, owner: held.owner, epoch: held.epoch, expiresInMs: held.remainingMs };
        }
        await trx.raw(
          'UPDATE ?? SET owner = ?, epoch = epoch + 1, expires_at = DATE_ADD(NOW(3), INTERVAL ? MICROSECOND), acquired_at = NOW(3), renewed_at = NOW(3) WHERE shard_id = ?',
          [LEASES_TABLE, owner, micros(ttlMs), shardId],
        );
        return { acquired: true, epoch: held.epoch + 1 };
      };
      return db.transaction(async (trx) => {
        // A writer frozen between its lease check and its commit holds the row's shared lock until the server
        // drops its session: wait for it briefly, then report the lease as held and try again at the next poll.
        await trx.raw('SET SESSION innodb_lock_wait_timeout = 3');
        try {
          return await acquireLocked(trx);
        } catch (err) {
          if (isTransactionConflict(err))
            return { acquired: false, owner: seen?.owner ?? '', epoch: seen?.epoch ?? 0, expiresInMs: 0 };
          throw err;
        } finally {
          await trx.raw('SET SESSION innodb_lock_wait_timeout = DEFAULT');
        }
      });
    },

    async renew(shardId, owner, epoch, ttlMs) {
      checkTtl(ttlMs);
      return db.transaction(async (trx) => {
        const held = await read(trx, shardId, 'FOR UPDATE');
        if (!held || held.owner !== owner || held.epoch !== epoch) return false;
        await trx.raw(
          'UPDATE ?? SET expires_at = DATE_ADD(NOW(3), INTERVAL ? MICROSECOND), renewed_at = NOW(3) WHERE shard_id = ?',
          [LEASES_TABLE, micros(ttlMs), shardId],
        );
        return true;
      });
    },

    async release(shardId, owner, epoch) {
      await db.raw('UPDATE ?? SET expires_at = NOW(3) WHERE shard_id = ? AND owner = ? AND epoch = ?', [
        LEASES_TABLE,
        shardId,
        owner,
        epoch,
      ]);
    },

    async current(shardId) {
      const held = await read(db, shardId, '');
      return held && { owner: held.owner, epoch: held.epoch, expiresInMs: held.remainingMs };
    },

    fence(shardId, epoch) {
      return {
        shardId,
        epoch,
        async assert(trx) {
          // A shared lock: writes of the same epoch run side by side, while a takeover (which updates the row)
          // waits for them to commit — and every write after it sees the new epoch.
          const [rows] = (await trx.raw('SELECT epoch FROM ?? WHERE shard_id = ? LOCK IN SHARE MODE', [
            LEASES_TABLE,
            shardId,
          ])) as [Array<{ epoch: string | number }>];
          const current = rows[0] === undefined ? undefined : Number(rows[0].epoch);
          if (current !== epoch) {
            throw new DbError(
              'DB_ERR_FENCED',
              `${shardId}: this writer holds epoch ${epoch}, the lease is at ${current ?? '(none)'}`,
            );
          }
        },
      };
    },
  };
}
