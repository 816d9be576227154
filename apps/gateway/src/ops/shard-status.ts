import type { ShardHealth } from '@shardex/db';
import type { ShardActivityView } from '../market-data';

/** One shard as the operations view shows it: the same facts, from the same sources, as `orchestrator status`. */
export interface ShardStatusView extends ShardActivityView {
  /** Input records the shard's consumer group has not committed (null: Kafka could not be asked). */
  inputLag: number | null;
  /** Its newest snapshot in MySQL: the seq it includes and its age at the time of the answer. */
  snapshot: { seq: number; ageMs: number } | null;
  /** Who holds its writer lease, and whether the lease is live. */
  writer: { owner: string; live: boolean } | null;
  /** RUNNING with a live writer. */
  ready: boolean;
  /** What could not be read for this shard (the fields it feeds are null). */
  problems: string[];
}

export interface ShardStatusSources {
  /** State, symbols, last seq and commands/s from the output topics (the market-data feed). */
  activity(): ShardActivityView[];
  /** Snapshot and lease from MySQL (libs/db readShardHealth). */
  health(shardId: string): Promise<ShardHealth>;
  /** The shard consumer group's uncommitted input records. */
  inputLag(shardId: string): Promise<number>;
  now?: () => number;
  /** Answers within this many ms of the last read share it (the console polls; MySQL and Kafka are asked once). */
  cacheMs?: number;
  /** A source that has not answered within this many ms counts as failed for this read. Default 2,000. */
  timeoutMs?: number;
}

export interface ShardStatusReader {
  read(): Promise<ShardStatusView[]>;
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** An operator's view must answer while Kafka or MySQL hang (that is when it is needed): each source is bounded. */
function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createShardStatusReader({
  activity,
  health,
  inputLag,
  now = Date.now,
  cacheMs = 1_000,
  timeoutMs = 2_000,
}: ShardStatusSources): ShardStatusReader {
  let last: { at: number; result: Promise<ShardStatusView[]> } | undefined;

  async function readAll(at: number): Promise<ShardStatusView[]> {
    return Promise.all(
      activity().map(async (a): Promise<ShardStatusView> => {
        const problems: string[] = [];
        const [h, lag] = await Promise.all([
          bounded(health(a.shardId), timeoutMs).catch((err: unknown) => {
            problems.push(`MySQL: ${reason(err)}`);
            return undefined;
          }),
          bounded(inputLag(a.shardId), timeoutMs).catch((err: unknown) => {
            problems.push(`Kafka: ${reason(err)}`);
            return null;
          }),
        ]);
        const writer = h?.lease ? { owner: h.lease.owner, live: h.lease.live } : null;
        return {
          ...a,
          inputLag: lag,
          snapshot: h?.snapshot ? { seq: h.snapshot.seq, ageMs: Math.max(0, at - h.snapshot.takenAt) } : null,
          writer,
          ready: a.state === 'RUNNING' && writer?.live === true,
          problems,
        };
      }),
    );
  }

  return {
    read() {
      const at = now();
      if (last && at - last.at < cacheMs) return last.result;
      const result = readAll(at);
      last = { at, result };
      return result;
    },
  };
}
