/**
 * Counters of a shard process. One object lives as long as the process and every incarnation of the engine (each
 * restart from a snapshot) adds to it, so Prometheus sees monotonic counters across recoveries.
 */
export interface EngineMetrics {
  commandsApplied: number;
  eventsPublished: number;
  /** Messages sent to the dead-letter topic (undecodable, or an order command on the preload topic). */
  deadLettered: number;
  batches: number;
  lastBatchSize: number;
  snapshots: number;
  snapshotFailures: number;
  lastSnapshotAt: number | null;
  lastSnapshotSeq: number | null;
  /** Preload messages whose place among the input was recorded in the journal. */
  journalled: number;
  /** Places where input offsets jumped (transaction markers, aborted transactions, compaction). */
  offsetGaps: number;
  /** Offsets that were gone when the shard needed them (retention deleted them before they were applied). */
  offsetsLost: number;
  /** Rows the database refused for their content, kept in write_dead_letters (see libs/write-buffer). */
  rowsDeadLettered: number;
  /** Consumer-group offset commits that failed (monitoring only; replay never depends on them). */
  commitFailures: number;
  /** Times the Kafka consume loop crashed and kafkajs restarted it (a broker away, say). */
  consumerRestarts: number;
  /** Fatal failures of an incarnation (a failed send or flush, a lost lease, a dead consume loop). */
  fatalErrors: number;
  /** Times the shard restarted itself from its last snapshot after a fatal failure. */
  recoveries: number;
}

export function createEngineMetrics(): EngineMetrics {
  return {
    commandsApplied: 0,
    eventsPublished: 0,
    deadLettered: 0,
    batches: 0,
    lastBatchSize: 0,
    snapshots: 0,
    snapshotFailures: 0,
    lastSnapshotAt: null,
    lastSnapshotSeq: null,
    journalled: 0,
    offsetGaps: 0,
    offsetsLost: 0,
    rowsDeadLettered: 0,
    commitFailures: 0,
    consumerRestarts: 0,
    fatalErrors: 0,
    recoveries: 0,
  };
}
