import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import type { Knex } from 'knex';
import { DbError } from './errors';
import type { WriteFence } from './leases';
import { PRELOAD_JOURNAL_TABLE, SNAPSHOT_CHUNKS_TABLE, SNAPSHOTS_TABLE, utcDatetime } from './tables';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/** Where replay resumes: next offset per topic and partition. */
export type TopicOffsets = Record<string, Record<string, string>>;

export interface SnapshotToSave {
  shardId: string;
  /** The last event sequence number the snapshot includes. */
  seq: number;
  offsets: TopicOffsets;
  /**
   * The state in parts, each stored as its own gzipped JSON chunk and handed back in order by `latest`. The caller
   * keeps each part small (a slice of orders, say): no single string, packet or blob grows with the whole book.
   */
  parts: Iterable<unknown>;
  /** Wall-clock time of the snapshot, epoch ms (informational). */
  at: number;
  /** Checked in the same transaction: a fenced writer stores no snapshot. */
  fence?: WriteFence;
  /**
   * The shard's preload topic: its journal entries below the preload offset of the oldest snapshot still kept are
   * deleted in the same transaction (no kept snapshot replays them any more).
   */
  preloadTopic?: string;
}

export interface StoredSnapshot {
  id: number;
  shardId: string;
  seq: number;
  /** Lease epoch of the writer (0 without a lease). */
  epoch: number;
  offsets: TopicOffsets;
  parts: unknown[];
  /** `single`: written by an older build as one blob; `parts` then holds that one state object. */
  format: 'chunked' | 'single';
}

export interface SnapshotStore {
  save(snapshot: SnapshotToSave): Promise<{ id: number; chunks: number; bytes: number }>;
  latest(shardId: string): Promise<StoredSnapshot | undefined>;
  /** Ids of the shard's kept snapshots, newest first: a reader falls back to an older one if the newest is unusable. */
  recent(shardId: string): Promise<number[]>;
  load(shardId: string, id: number): Promise<StoredSnapshot | undefined>;
}

interface HeaderRow {
  id: string | number;
  seq: string | number;
  epoch: string | number;
  chunks: string | number;
  offsets: string;
  state: Buffer | null;
}

/**
 * Engine snapshots in MySQL: a header row (sequence, offsets, epoch) and its chunks, written in one transaction;
 * the newest `keep` snapshots per shard are kept, older ones deleted in the same transaction.
 */
export function createSnapshotStore(db: Knex, { keep = 3 }: { keep?: number } = {}): SnapshotStore {
  if (!Number.isInteger(keep) || keep < 1) throw new DbError('DB_ERR_CONFIG', 'keep must be a positive integer');
  const store: SnapshotStore = {
    async save({ shardId, seq, offsets, parts, at, fence, preloadTopic }) {
      // Serialised and compressed before the transaction opens (gzip runs off the event loop), so the transaction
      // holds its locks only for the inserts.
      const chunks: Buffer[] = [];
      let bytes = 0;
      for (const part of parts) {
        const gz = await gzip(Buffer.from(JSON.stringify(part)));
        chunks.push(gz);
        bytes += gz.length;
      }
      const id = await db.transaction(async (trx) => {
        const [inserted] = await trx(SNAPSHOTS_TABLE).insert({
          shard_id: shardId,
          seq,
          epoch: fence?.epoch ?? 0,
          chunks: chunks.length,
          offsets: JSON.stringify(offsets),
          state: null,
          created_at: utcDatetime(at),
        });
        const snapshotId = Number(inserted);
        // One statement per chunk: each stays far below max_allowed_packet.
        for (let idx = 0; idx < chunks.length; idx++) {
          await trx(SNAPSHOT_CHUNKS_TABLE).insert({ snapshot_id: snapshotId, idx, data: chunks[idx] });
        }
        const stale = (await trx(SNAPSHOTS_TABLE)
          .where({ shard_id: shardId })
          .orderBy('id', 'desc')
          .offset(keep)
          .limit(1000)
          .pluck('id')) as Array<string | number>;
        if (stale.length > 0) {
          await trx(SNAPSHOT_CHUNKS_TABLE).whereIn('snapshot_id', stale).delete();
          await trx(SNAPSHOTS_TABLE).whereIn('id', stale).delete();
        }
        if (preloadTopic !== undefined) {
          const kept = (await trx(SNAPSHOTS_TABLE).where({ shard_id: shardId }).pluck('offsets')) as string[];
          let below: bigint | undefined;
          for (const o of kept) {
            const v = (JSON.parse(o) as TopicOffsets)[preloadTopic]?.['0'];
            if (v !== undefined && (below === undefined || BigInt(v) < below)) below = BigInt(v);
          }
          if (below !== undefined)
            await trx(PRELOAD_JOURNAL_TABLE)
              .where({ shard_id: shardId })
              .andWhere('preload_offset', '<', below.toString())
              .delete();
        }
        // Last, right before the commit: the lease row's shared lock, which a takeover waits for, is held briefly.
        if (fence) await fence.assert(trx);
        return snapshotId;
      });
      return { id, chunks: chunks.length, bytes };
    },

    async latest(shardId) {
      const [newest] = await store.recent(shardId);
      return newest === undefined ? undefined : store.load(shardId, newest);
    },

    async recent(shardId) {
      const ids = (await db(SNAPSHOTS_TABLE).where({ shard_id: shardId }).orderBy('id', 'desc').pluck('id')) as Array<
        string | number
      >;
      return ids.map(Number);
    },

    async load(shardId, snapshotId) {
      const row = (await db(SNAPSHOTS_TABLE).where({ shard_id: shardId, id: snapshotId }).first()) as
        HeaderRow | undefined;
      if (!row) return undefined;
      const id = Number(row.id);
      const expected = Number(row.chunks);
      const corrupt = (why: string, cause?: unknown) =>
        new DbError('DB_ERR_SNAPSHOT_CORRUPT', `snapshot ${id} of ${shardId}: ${why}`, { cause });
      let parts: unknown[];
      try {
        if (expected === 0) {
          if (!row.state) throw corrupt('neither chunks nor a state blob');
          parts = [JSON.parse((await gunzip(row.state)).toString())];
        } else {
          const chunks = (await db(SNAPSHOT_CHUNKS_TABLE)
            .where({ snapshot_id: id })
            .orderBy('idx')
            .select('idx', 'data')) as Array<{ idx: number | string; data: Buffer }>;
          if (chunks.length !== expected || chunks.some((c, i) => Number(c.idx) !== i))
            throw corrupt(`${chunks.length} of ${expected} chunks present`);
          parts = [];
          for (const c of chunks) parts.push(JSON.parse((await gunzip(c.data)).toString()));
        }
      } catch (err) {
        if (err instanceof DbError) throw err;
        throw corrupt((err as Error).message, err);
      }
      return {
        id,
        shardId,
        seq: Number(row.seq),
        epoch: Number(row.epoch),
        offsets: JSON.parse(row.offsets) as TopicOffsets,
        parts,
        format: expected === 0 ? 'single' : 'chunked',
      };
    },
  };
  return store;
}
