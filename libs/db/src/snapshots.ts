import { gunzipSync, gzipSync } from 'node:zlib';
import type { Knex } from 'knex';
import { SNAPSHOTS_TABLE, utcDatetime } from './tables';

/** Where replay resumes: next offset per topic and partition. */
export type TopicOffsets = Record<string, Record<string, string>>;

export interface StoredSnapshot<S> {
  id: number;
  shardId: string;
  seq: number;
  offsets: TopicOffsets;
  state: S;
}

/**
 * Engine snapshots in MySQL: the state is JSON, gzipped (a book of 100,000 orders is a few MB of JSON and well under
 * one compressed). `keep` newest snapshots per shard are kept; older ones are deleted after each save.
 */
export function createSnapshotStore(db: Knex, { keep = 3 }: { keep?: number } = {}) {
  return {
    async save<S>(shardId: string, seq: number, offsets: TopicOffsets, state: S, at: number): Promise<number> {
      const [id] = await db(SNAPSHOTS_TABLE).insert({
        shard_id: shardId,
        seq,
        offsets: JSON.stringify(offsets),
        state: gzipSync(Buffer.from(JSON.stringify(state))),
        created_at: utcDatetime(at),
      });
      const stale = await db(SNAPSHOTS_TABLE)
        .where({ shard_id: shardId })
        .orderBy('id', 'desc')
        .offset(keep)
        .limit(1000)
        .pluck('id');
      if (stale.length > 0) await db(SNAPSHOTS_TABLE).whereIn('id', stale).delete();
      return Number(id);
    },

    async latest<S>(shardId: string): Promise<StoredSnapshot<S> | undefined> {
      const row = await db(SNAPSHOTS_TABLE).where({ shard_id: shardId }).orderBy('id', 'desc').first();
      if (!row) return undefined;
      return {
        id: Number(row.id),
        shardId,
        seq: Number(row.seq),
        offsets: JSON.parse(row.offsets) as TopicOffsets,
        state: JSON.parse(gunzipSync(row.state as Buffer).toString()) as S,
      };
    },
  };
}

export type SnapshotStore = ReturnType<typeof createSnapshotStore>;
