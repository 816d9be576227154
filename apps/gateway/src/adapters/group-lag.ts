import { createKafkaAdmin, groupLag, type KafkaClientOptions } from '@shardex/kafka';
import type { ShardInfo } from '@shardex/order-router';

export interface GroupLagReader {
  /** Records of the shard's input topic its consumer group (`<prefix>-<shardId>`) has not committed. */
  inputLag(shardId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The input lag `orchestrator status` reports — high watermarks minus the committed offsets of the shard's group
 * (`groupLag`) — through one admin connection of the configured client library, kept for the gateway's life
 * (connected on first use, again after a failed connect).
 */
export function createGroupLagReader({
  kafka,
  shards,
  groupPrefix,
}: {
  kafka: KafkaClientOptions;
  shards: readonly ShardInfo[];
  groupPrefix: string;
}): GroupLagReader {
  const admin = createKafkaAdmin(kafka);
  let connected: Promise<void> | undefined;
  const topicOf = new Map(shards.map((s) => [s.shardId, s.kafkaInputTopic]));
  return {
    async inputLag(shardId) {
      const topic = topicOf.get(shardId);
      if (topic === undefined) throw new Error(`no shard ${shardId} in the shard map`);
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      const [committed, end] = await Promise.all([
        admin.groupOffsets(`${groupPrefix}-${shardId}`, topic),
        admin.topicOffsets(topic),
      ]);
      return groupLag(committed, new Map(end.map((p) => [p.partition, p.high])));
    },
    async close() {
      if (connected) await admin.disconnect();
    },
  };
}
