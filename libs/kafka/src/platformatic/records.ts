import { IS_CONTROL, IS_TRANSACTIONAL } from '@platformatic/kafka';
import type { ConsumedMessage, MessageHeaders } from '../consumer';

/** What a fetched partition holds, as the client parses it (only the fields read here). */
export interface FetchedPartition {
  partitionIndex: number;
  abortedTransactions?: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }> | null;
  records?: ReadonlyArray<{
    firstOffset: bigint;
    lastOffsetDelta: number;
    attributes: number;
    producerId: bigint;
    records: ReadonlyArray<{
      offsetDelta: number;
      key: Buffer | null;
      value: Buffer | null;
      headers: ReadonlyArray<[Buffer | null, Buffer | null]>;
    }>;
  }> | null;
}

/** A control record's key is its int16 version then its int16 type: type 0 is the abort marker. */
const isAbortMarker = (batch: NonNullable<FetchedPartition['records']>[number]) =>
  batch.records[0]?.key?.readInt16BE(2) === 0;

/**
 * The records of a fetched partition a read_committed consumer hands over, from offset `from` on, and the offset to
 * fetch next (past everything the response held, markers and aborted records included). As the Java client does
 * it: a producer listed as aborted from some offset on has its transactional batches skipped until its abort marker.
 * (The client's own filter keeps one aborted range per producer, so a response holding two aborted transactions of
 * one producer delivered the first.)
 */
export function committedRecords(
  topic: string,
  partition: FetchedPartition,
  from: bigint,
): { messages: ConsumedMessage[]; next: bigint } {
  const messages: ConsumedMessage[] = [];
  let next = from;
  const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  const abortedProducers = new Set<bigint>();
  for (const batch of partition.records ?? []) {
    const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if (end > next) next = end;
    if (batch.attributes & IS_TRANSACTIONAL) {
      while (aborted.length > 0 && (aborted[0] as { firstOffset: bigint }).firstOffset < end)
        abortedProducers.add((aborted.shift() as { producerId: bigint }).producerId);
      if (batch.attributes & IS_CONTROL) {
        if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
        continue;
      }
      if (abortedProducers.has(batch.producerId)) continue;
    }
    if (batch.attributes & IS_CONTROL) continue;
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < from) continue; // a batch starting before the position holds records already handed over
      const headers: MessageHeaders = {};
      for (const [hk, hv] of r.headers) if (hk) headers[hk.toString()] = hv ?? undefined;
      messages.push({
        topic,
        partition: partition.partitionIndex,
        offset: offset.toString(),
        key: r.key,
        value: r.value,
        headers,
      });
    }
  }
  return { messages, next };
}
