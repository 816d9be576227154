/**
 * Commit only what is durable. At the end of every batch the engine makes its work durable in this order, and
 * nothing later happens unless everything earlier succeeded:
 *
 *   1. events acknowledged  — every record the batch sent (events, dead letters) acked by the brokers;
 *   2. rows written         — the write buffer flushed (orders and trades, in fenced transactions);
 *   3. snapshot             — when one is due: book + positions, covering only what 1 and 2 made durable;
 *   4. offsets committed    — the consumer group's offsets, for lag monitoring (replay starts from the
 *                             snapshot's own positions, never from these).
 *
 * A failure in 1 or 2 is fatal for the incarnation: no snapshot, no commit, and the shard restarts from its last
 * snapshot, replaying the batch (deterministically, so what was already published or written is reproduced
 * byte for byte). A failed snapshot only lengthens the next replay: it is logged, counted, and tried again later.
 */
export interface Checkpoint {
  eventsAcknowledged(): Promise<void>;
  rowsWritten(): Promise<void>;
  /** Undefined when no snapshot is due. */
  snapshot?: () => Promise<void>;
  commitOffsets(): Promise<void>;
}

export async function checkpoint(steps: Checkpoint): Promise<void> {
  await steps.eventsAcknowledged();
  await steps.rowsWritten();
  if (steps.snapshot) await steps.snapshot();
  await steps.commitOffsets();
}

/**
 * Tracks the sends of an incarnation without keeping their promises: how many are in flight, and the first one
 * that failed (reported at once through `onFailure`, so the engine stops applying instead of piling up more).
 */
export class AckTracker {
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: Error | null = null;

  constructor(private readonly onFailure: (err: Error) => void) {}

  get pending(): number {
    return this.inFlight;
  }

  track(send: Promise<void>): void {
    this.inFlight++;
    send.then(
      () => this.settle(),
      (err: unknown) => {
        if (!this.failure) {
          this.failure = err instanceof Error ? err : new Error(String(err));
          this.onFailure(this.failure);
        }
        this.settle();
      },
    );
  }

  /** Resolves once every send tracked so far is acknowledged; rejects if any failed. */
  async settled(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  private settle(): void {
    if (--this.inFlight === 0) for (const w of this.waiters.splice(0)) w();
  }
}
