import type { KafkaClientOptions } from '../clients';
import type { KafkaAdmin } from '../driver';
import { createKafkaClient } from './client';

export function kafkajsAdmin(options: KafkaClientOptions): KafkaAdmin {
  const admin = createKafkaClient(options).admin();
  return {
    connect: () => admin.connect(),
    listTopics: () => admin.listTopics(),
    async describeTopics(topics) {
      const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
      return meta.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionId, replicas: p.replicas.length }))
          .sort((x, y) => x.partition - y.partition),
      }));
    },
    async createTopics(topics) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configEntries).map(([name, value]) => ({ name, value })),
        })),
      });
    },
    async topicOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((p) => ({ partition: p.partition, low: p.low, high: p.high }));
    },
    async groupOffsets(groupId, topic) {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
    },
    disconnect: () => admin.disconnect(),
  };
}
