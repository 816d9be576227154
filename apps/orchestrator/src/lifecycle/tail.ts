import { createKafkaConsumer, type ConsumedMessage, type KafkaClientName } from '@shardex/kafka';

/**
 * Reads the last `perPartition` records of every partition of `topics` (as they ended when called) and returns them,
 * oldest first per partition. A one-shot reader: its own consumer group, never committed, closed before it returns.
 * Gives up after `timeoutMs` with what it has (`complete: false`).
 */
export async function readTails({
  brokers,
  client,
  topics,
  perPartition,
  timeoutMs = 15_000,
}: {
  brokers: string[];
  client?: KafkaClientName;
  topics: readonly string[];
  perPartition: number;
  timeoutMs?: number;
}): Promise<{ messages: ConsumedMessage[]; complete: boolean }> {
  const consumer = createKafkaConsumer({
    brokers,
    ...(client && { client }),
    groupId: `shardex-orchestrator-tail-${process.pid}-${Date.now()}`,
    clientId: 'shardex-orchestrator',
    maxWaitTimeMs: 200,
  });
  const range = new Map<string, { from: bigint; end: bigint; at: bigint }>();
  const messages: ConsumedMessage[] = [];
  try {
    await consumer.connect();
    // A topic that does not exist has no tail (status shows its shard as unknown).
    const readable = await consumer.existingTopics(topics);
    for (const topic of readable) {
      const [low, high] = await Promise.all([consumer.earliestOffsets(topic), consumer.latestOffsets(topic)]);
      for (const [partition, h] of high) {
        const end = BigInt(h);
        const floor = BigInt(low.get(partition) ?? '0');
        const from = end - BigInt(perPartition) > floor ? end - BigInt(perPartition) : floor;
        if (from < end) range.set(`${topic}:${partition}`, { from, end, at: from });
      }
    }
    if (range.size === 0) return { messages, complete: true };
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const remaining = () => [...range.values()].some((r) => r.at < r.end);
    await consumer.subscribe(readable);
    await consumer.run(
      async (batch) => {
        for (const m of batch) {
          const r = range.get(`${m.topic}:${m.partition}`);
          const offset = BigInt(m.offset);
          if (!r || offset < r.from || offset >= r.end) continue;
          messages.push(m);
          r.at = offset + 1n;
        }
        if (!remaining()) finished();
        return batch.at(-1)?.offset;
      },
      {
        onAssigned: (assignment) => {
          for (const [topic, partitions] of Object.entries(assignment))
            for (const p of partitions) {
              const r = range.get(`${topic}:${p}`);
              if (r) consumer.seek(topic, p, r.at.toString());
            }
        },
      },
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return { messages, complete: !remaining() };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
