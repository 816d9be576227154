/**
 * A consumer group's lag on a topic: per partition, its high watermark minus the group's committed offset (a
 * partition the group never committed counts from offset 0), summed. What `orchestrator status` and the gateway's
 * `/v1/ops/status` both report as a shard's input lag. Offsets as kafkajs gives them (decimal strings, -1: none).
 */
export function groupLag(
  committed: ReadonlyMap<number, string | number>,
  highWatermarks: ReadonlyMap<number, string | number>,
): number {
  let lag = 0;
  for (const [partition, high] of highWatermarks) {
    const c = Number(committed.get(partition) ?? -1);
    lag += Math.max(0, Number(high) - (c < 0 ? 0 : c));
  }
  return lag;
}
