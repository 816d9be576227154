import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import type { KafkaClientOptions } from '../clients';
import type { KafkaAdmin } from '../driver';
import { baseOptions } from './options';

/** The messages of an error and of the errors it aggregates (the client reports per-topic errors that way). */
function errorMessages(err: unknown): string[] {
  const e = err as { message?: string; errors?: unknown[]; cause?: unknown } | undefined;
  return [e?.message ?? String(err), ...(e?.errors ?? []).flatMap(errorMessages)];
}

export function platformaticAdmin(options: KafkaClientOptions): KafkaAdmin {
  let admin: Admin | undefined;
  const client = (): Admin => (admin ??= new Admin(baseOptions(options)));
  async function partitions(topic: string): Promise<number[]> {
    const meta = await client().metadata({ topics: [topic], forceUpdate: true });
    const t = meta.topics.get(topic);
    if (!t) throw new Error(`topic ${topic} does not exist`);
    return Array.from({ length: t.partitionsCount }, (_, p) => p);
  }
  async function offsets(topic: string, timestamp: bigint): Promise<Map<number, string>> {
    const indexes = await partitions(topic);
    const [listed] = await client().listOffsets({
      topics: [{ name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset.toString()]));
  }
  return {
    async connect() {
      // Connects by asking for the cluster: a broker that is not there fails here.
      await client().metadata({ topics: [] });
    },
    listTopics: () => client().listTopics(),
    async describeTopics(topics) {
      const meta = await client().metadata({ topics: [...topics], forceUpdate: true });
      return topics.map((name) => {
        const t = meta.topics.get(name);
        if (!t) throw new Error(`topic ${name} does not exist`);
        return { name, partitions: t.partitions.map((p, partition) => ({ partition, replicas: p.replicas.length })) };
      });
    },
    async createTopics(topics) {
      // One request per topic: partitions, replicas and configs are per request in this client.
      for (const t of topics) {
        await client()
          .createTopics({
            topics: [t.topic],
            partitions: t.partitions,
            replicas: t.replicationFactor,
            configs: Object.entries(t.configEntries).map(([name, value]) => ({ name, value })),
          })
          .catch((err: unknown) => {
            // Created meanwhile by another process (two nodes of a shard starting together): as kafkajs, not an error.
            if (!/already exists/i.test(JSON.stringify(errorMessages(err)))) throw err;
          });
      }
      // Wait for every partition's leader, as the other clients do, so a first produce does not fail.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const meta = await client().metadata({ topics: topics.map((t) => t.topic), forceUpdate: true });
        const ready = topics.every((t) => meta.topics.get(t.topic)?.partitions.every((p) => p && p.leader >= 0));
        if (ready) return;
        if (Date.now() > deadline)
          throw new Error(
            `created ${topics.map((t) => t.topic).join(', ')}, but not every partition has a leader after 30 s`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async topicOffsets(topic) {
      const [low, high] = [
        await offsets(topic, ListOffsetTimestamps.EARLIEST),
        await offsets(topic, ListOffsetTimestamps.LATEST),
      ];
      return [...high.keys()]
        .sort((a, b) => a - b)
        .map((partition) => ({ partition, low: low.get(partition) ?? '0', high: high.get(partition) ?? '0' }));
    },
    async groupOffsets(groupId, topic) {
      const indexes = await partitions(topic);
      const [group] = await client().listConsumerGroupOffsets({
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes: indexes }] }],
      });
      const entry = group?.topics.find((t) => t.name === topic);
      return new Map((entry?.partitions ?? []).map((p) => [p.partitionIndex, p.committedOffset.toString()]));
    },
    async disconnect() {
      const a = admin;
      admin = undefined;
      await a?.close();
    },
  };
}
