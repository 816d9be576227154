import type { Knex } from 'knex';
import { DbError } from './errors';
import { stringRule } from './string-rules';
import { eventEnvelopeSchema } from '@shardex/contracts';
import { LEASES_TABLE, SNAPSHOTS_TABLE } from './tables';

const SHARD_ID = stringRule(eventEnvelopeSchema.properties.shardId);

/** What MySQL knows of a shard's health: its newest snapshot and who holds its writer lease. */
export interface ShardHealth {
  /** The newest snapshot: the event sequence it includes and when it was taken (epoch ms); null before the first. */
  snapshot: { seq: number; takenAt: number } | null;
  /** The lease: the process that writes for the shard, and whether its lease is still live at the server's clock. */
  lease: { owner: string; epoch: number; expiresAt: number; live: boolean } | null;
}

/**
 * One shard's health as the operators' `status` shows it, in two indexed reads (the snapshot's metadata only, never
 * its state).
 */
export async function readShardHealth(db: Knex, shardId: string): Promise<ShardHealth> {
  if (!SHARD_ID.test(shardId)) throw new DbError('DB_ERR_QUERY_INVALID', `shardId must be ${SHARD_ID.describe}`);
  const [snap, lease] = await Promise.all([
    db(SNAPSHOTS_TABLE).where({ shard_id: shardId }).orderBy('id', 'desc').first('seq', 'created_at') as Promise<
      { seq: number | string; created_at: Date } | undefined
    >,
    db(LEASES_TABLE)
      .where({ shard_id: shardId })
      .first('owner', 'epoch', 'expires_at', db.raw('expires_at > UTC_TIMESTAMP(3) AS live')) as Promise<
      { owner: string; epoch: number | string; expires_at: Date; live: number | string } | undefined
    >,
  ]);
  return {
    snapshot: snap ? { seq: Number(snap.seq), takenAt: snap.created_at.getTime() } : null,
    lease: lease
      ? {
          owner: lease.owner,
          epoch: Number(lease.epoch),
          expiresAt: lease.expires_at.getTime(),
          live: Number(lease.live) === 1,
        }
      : null,
  };
}
