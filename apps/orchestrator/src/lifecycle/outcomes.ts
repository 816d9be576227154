import { decodeEvent, type EngineState } from '@shardex/contracts';
import { createKafkaConsumer, type ConsumedMessage, type KafkaClientName } from '@shardex/kafka';
import type { ShardInfo } from '@shardex/order-router';

/** What one shard did with the lifecycle command sent to it, as read back from its output and dead-letter topics. */
export type ShardOutcome =
  | { status: 'applied'; state: EngineState; symbols: string[] }
  | { status: 'rejected'; reason: string; message: string }
  | { status: 'dead-lettered'; code: string; reason: string }
  | { status: 'pending' };

export interface OutcomeSource {
  /** Reads from the topics' current ends; resolves once it is positioned (call before sending). */
  start(): Promise<void>;
  /** The outcome so far of `commandId` on `shardId`. */
  outcome(shardId: string, commandId: string): ShardOutcome;
  /** Resolves when every (shard, commandId) has an outcome, or at `deadline` (epoch ms); `onChange` on each new one. */
  waitFor(expected: ReadonlyMap<string, string>, deadline: number, onChange?: () => void): Promise<void>;
  stop(): Promise<void>;
}

const header = (m: ConsumedMessage, name: string): string | undefined => {
  const v = m.headers[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};

/**
 * Watches every shard's output topic (ENGINE_STATE and ORDER_REJECTED events carry the commandId that caused them)
 * and dead-letter topic (the original message, whose body names its commandId) from where they end when `start()` is
 * called, so "written to Kafka" is never taken for "applied by the shard". Its own consumer group, never committed.
 */
export function createOutcomeSource({
  brokers,
  client,
  shards,
  groupId = `shardex-orchestrator-${process.pid}-${Date.now()}`,
}: {
  brokers: string[];
  client?: KafkaClientName;
  shards: readonly ShardInfo[];
  groupId?: string;
}): OutcomeSource {
  const consumer = createKafkaConsumer({
    brokers,
    ...(client && { client }),
    groupId,
    clientId: 'shardex-orchestrator',
    maxWaitTimeMs: 200,
  });
  const byTopic = new Map<string, { shardId: string; kind: 'output' | 'dlq' }>();
  for (const s of shards) {
    byTopic.set(s.kafkaOutputTopic, { shardId: s.shardId, kind: 'output' });
    byTopic.set(s.kafkaDlqTopic, { shardId: s.shardId, kind: 'dlq' });
  }
  const startAt = new Map<string, bigint>(); // `${topic}:${partition}` → first offset that counts
  const seen = new Map<string, ShardOutcome>(); // `${shardId}/${commandId}`
  let changed: (() => void) | undefined;

  function take(m: ConsumedMessage): void {
    const from = startAt.get(`${m.topic}:${m.partition}`);
    if (from === undefined || BigInt(m.offset) < from) return;
    const where = byTopic.get(m.topic);
    if (!where) return;
    if (where.kind === 'output') {
      const decoded = decodeEvent({ value: m.value, headers: m.headers as Record<string, Buffer> });
      if (!decoded.ok) return;
      const e = decoded.value;
      if (e.commandId === undefined) return;
      const key = `${where.shardId}/${e.commandId}`;
      if (e.code === 'ENGINE_STATE')
        seen.set(key, { status: 'applied', state: e.payload.state, symbols: e.payload.symbols });
      else if (e.code === 'ORDER_REJECTED')
        seen.set(key, { status: 'rejected', reason: e.payload.reason, message: e.payload.message });
      else return;
    } else {
      let commandId: unknown;
      try {
        commandId = (JSON.parse(m.value?.toString() ?? '') as { commandId?: unknown }).commandId;
      } catch {
        return;
      }
      if (typeof commandId !== 'string') return;
      seen.set(`${where.shardId}/${commandId}`, {
        status: 'dead-lettered',
        code: header(m, 'shardex-dlq-code') ?? 'unknown',
        reason: header(m, 'shardex-dlq-reason') ?? '',
      });
    }
    changed?.();
  }

  return {
    async start() {
      await consumer.connect();
      // A shard whose topics do not exist cannot answer (the send to it fails and says so): leave them out, and ask
      // before any per-topic call — kafkajs fails every later metadata refresh once it was asked about one.
      const topics = await consumer.existingTopics([...byTopic.keys()]);
      for (const topic of topics) {
        for (const [partition, high] of await consumer.latestOffsets(topic))
          startAt.set(`${topic}:${partition}`, BigInt(high));
      }
      if (topics.length === 0) return;
      await consumer.subscribe(topics);
      await consumer.run(
        async (messages) => {
          for (const m of messages) take(m);
          return messages.at(-1)?.offset;
        },
        {
          // No committed offsets in this group: position every partition at the end it had when we started.
          onAssigned: (assignment) => {
            for (const [topic, partitions] of Object.entries(assignment))
              for (const p of partitions) {
                const at = startAt.get(`${topic}:${p}`);
                if (at !== undefined) consumer.seek(topic, p, at.toString());
              }
          },
        },
      );
    },
    outcome: (shardId, commandId) => seen.get(`${shardId}/${commandId}`) ?? { status: 'pending' },
    async waitFor(expected, deadline, onChange) {
      const done = () => [...expected].every(([shardId, commandId]) => seen.has(`${shardId}/${commandId}`));
      while (!done() && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now())));
          changed = () => {
            clearTimeout(timer);
            onChange?.();
            resolve();
          };
        });
        changed = undefined;
      }
    },
    stop: () => consumer.disconnect(),
  };
}
