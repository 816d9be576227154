import type { KafkaConsumer } from './consumer';
import type { KafkaAdmin } from './driver';

/** The consumer's questions about a topic, answered through an admin client of the same library. */
export function adminQueries(
  admin: KafkaAdmin,
  groupId: string,
): Pick<KafkaConsumer, 'earliestOffsets' | 'latestOffsets' | 'existingTopics' | 'committedOffsets'> {
  return {
    async earliestOffsets(topic) {
      return new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, p.low]));
    },
    async latestOffsets(topic) {
      return new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, p.high]));
    },
    async existingTopics(topics) {
      const present = new Set(await admin.listTopics());
      return topics.filter((t) => present.has(t));
    },
    committedOffsets: (topic) => admin.groupOffsets(groupId, topic),
  };
}
