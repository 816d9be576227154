import type { Kafka } from 'kafkajs';

/** The sum of the end offsets of every partition of `topics`: records ever appended to them. */
export async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high);
    return total;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Deletes the topics that exist among `topics` and the consumer groups `isOurs` picks; returns what it deleted.
 * Groups that still have members cannot be deleted and are skipped.
 */
export async function deleteTopicsAndGroups(
  kafka: Kafka,
  topics: readonly string[],
  isOurs: (groupId: string) => boolean = () => false,
): Promise<{ topics: string[]; groups: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter(isOurs);
    const deleted: string[] = [];
    for (const groupId of groups) {
      try {
        await admin.deleteGroups([groupId]);
        deleted.push(groupId);
      } catch {
        // still has members (a process that did not stop), or already gone: nothing more to do here
      }
    }
    return { topics: doomed, groups: deleted };
  } finally {
    await admin.disconnect();
  }
}
