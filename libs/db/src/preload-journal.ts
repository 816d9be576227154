import type { Knex } from 'knex';
import { DbError, MYSQL_ERRNO } from './errors';
import type { WriteFence } from './leases';
import { INPUT_FRONTIER_TABLE, PRELOAD_JOURNAL_TABLE } from './tables';

/** A preload message's place in the shard's one total order of input: after every input offset below `inputPosition`. */
export interface PreloadJournalEntry {
  /** Offset of the message on the (single-partition) preload topic, a decimal string. */
  preloadOffset: string;
  /** The input topic's next offset at the moment it was applied, a decimal string. */
  inputPosition: string;
}

export interface PreloadJournal {
  /**
   * Records decisions before they take effect, in one transaction checked against the lease. An offset already
   * recorded fails with DB_ERR_JOURNAL_CONFLICT: a decision is made once and then only repeated.
   */
  record(fence: WriteFence, entries: readonly PreloadJournalEntry[]): Promise<void>;
  /** The decisions recorded for offsets at or above `fromPreloadOffset`, in offset order. */
  since(shardId: string, fromPreloadOffset: string): Promise<PreloadJournalEntry[]>;
  /**
   * Raises the input frontier (the next input offset whose command's events may not be out yet: everything below
   * it has been applied and its events may have reached Kafka), fenced. Never lowers it.
   */
  recordFrontier(fence: WriteFence, inputPosition: string): Promise<void>;
  /** The recorded input frontier of the shard, or undefined if none was ever recorded. */
  frontier(shardId: string): Promise<string | undefined>;
}

export function createPreloadJournal(db: Knex): PreloadJournal {
  return {
    async record(fence, entries) {
      if (entries.length === 0) return;
      try {
        await db.transaction(async (trx) => {
          await trx(PRELOAD_JOURNAL_TABLE).insert(
            entries.map((e) => ({
              shard_id: fence.shardId,
              preload_offset: e.preloadOffset,
              input_position: e.inputPosition,
              epoch: fence.epoch,
            })),
          );
          await fence.assert(trx); // last: see WriteFence.assert
        });
      } catch (err) {
        if ((err as { errno?: number }).errno === MYSQL_ERRNO.DUP_ENTRY) {
          throw new DbError(
            'DB_ERR_JOURNAL_CONFLICT',
            `${fence.shardId}: preload offsets ${entries.map((e) => e.preloadOffset).join(', ')} already have a recorded position`,
            { cause: err },
          );
        }
        throw err;
      }
    },

    async recordFrontier(fence, inputPosition) {
      await db.transaction(async (trx) => {
        await trx.raw(
          'INSERT INTO ?? (shard_id, input_position, epoch) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE input_position = GREATEST(input_position, VALUES(input_position)), epoch = VALUES(epoch), updated_at = CURRENT_TIMESTAMP(3)',
          [INPUT_FRONTIER_TABLE, fence.shardId, inputPosition, fence.epoch],
        );
        await fence.assert(trx); // last: see WriteFence.assert
      });
    },

    async frontier(shardId) {
      const row = (await db(INPUT_FRONTIER_TABLE).where({ shard_id: shardId }).first('input_position')) as
        { input_position: string | number } | undefined;
      return row === undefined ? undefined : String(row.input_position);
    },

    async since(shardId, fromPreloadOffset) {
      const rows = (await db(PRELOAD_JOURNAL_TABLE)
        .where({ shard_id: shardId })
        .andWhere('preload_offset', '>=', fromPreloadOffset)
        .orderBy('preload_offset')
        .select('preload_offset', 'input_position')) as Array<{
        preload_offset: string | number;
        input_position: string | number;
      }>;
      return rows.map((r) => ({ preloadOffset: String(r.preload_offset), inputPosition: String(r.input_position) }));
    },
  };
}
