import type { PreloadJournal, WriteFence } from '@shardex/db';
import type { OutgoingRecord, ProducerPort } from '@shardex/order-router';
import type { AckTracker } from './durability';

/**
 * Records the engine has produced but not yet let out. Before they go, the input frontier they come from (the next
 * input offset) is recorded, fenced by the lease: a later incarnation then places no new preload message below it,
 * where events may already be out, and a process that lost the lease cannot record it and so sends nothing beyond
 * what the new holder will reproduce. Every send is tracked by the AckTracker (step 1 of durability.ts).
 */
export class Outbox {
  private records: OutgoingRecord[] = [];

  constructor(
    private readonly o: {
      producer: ProducerPort;
      journal: Pick<PreloadJournal, 'recordFrontier'>;
      fence: WriteFence;
      acks: AckTracker;
      /** Bounds the frontier record in time (and gives up when the incarnation ends). */
      within<T>(what: string, step: Promise<T>): Promise<T>;
    },
    /** The frontier already recorded (by this or an earlier incarnation). */
    private released: bigint,
  ) {}

  push(record: OutgoingRecord): void {
    this.records.push(record);
  }

  get size(): number {
    return this.records.length;
  }

  /** Sends what waits, once the input position it comes from (`inputPosition`) is recorded. */
  async release(inputPosition: bigint): Promise<void> {
    if (this.records.length === 0) return;
    if (inputPosition > this.released) {
      await this.o.within(
        'recording the input frontier',
        this.o.journal.recordFrontier(this.o.fence, inputPosition.toString()),
      );
      this.released = inputPosition;
    }
    const out = this.records;
    this.records = [];
    for (const record of out) this.o.acks.track(this.o.producer.send(record));
  }
}
