import { type Admin, type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { KafkaClientOptions } from '../clients';
import type { OutgoingMessage, ProduceTransport } from '../driver';
import { KafkaAdapterError } from '../errors';
import { createKafkaClient } from './client';
import { createReplaceable } from './replaceable';

function isUnknownTopic(err: unknown): boolean {
  const e = err as { type?: string; originalError?: { type?: string }; message?: string } | undefined;
  return (
    e?.type === 'UNKNOWN_TOPIC_OR_PARTITION' ||
    e?.originalError?.type === 'UNKNOWN_TOPIC_OR_PARTITION' ||
    /does not host this topic-partition/.test(e?.message ?? '')
  );
}

/**
 * kafkajs' producer: idempotent, one request in flight per broker (a retry cannot reorder a partition), its
 * DefaultPartitioner (murmur2). kafkajs has no linger of its own; the batching producer above provides it.
 *
 * kafkajs remembers every topic a producer has touched and asks for all of them on each metadata refresh; one
 * missing topic then fails every send, to every topic (kafkajs issues #651, #1146, #1622). So a topic is checked to
 * exist (a plain topic listing, which remembers nothing) before the producer first sends to it, and a producer that
 * hits an unknown topic anyway (a topic deleted under it) is replaced and the batch retried once if its topic exists.
 */
export function kafkajsTransport(options: KafkaClientOptions): ProduceTransport {
  const kafka: Kafka = createKafkaClient(options);
  const admin: Admin = kafka.admin();
  const producers = createReplaceable<Producer>({
    async create() {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return p;
    },
    dispose: (p) => p.disconnect(),
    closedError: () => new KafkaAdapterError('KAFKA_ERR_NOT_CONNECTED', 'producer is not connected'),
  });
  let known = new Set<string>();

  async function topicExists(topic: string, refresh: boolean): Promise<boolean> {
    if (!refresh && known.has(topic)) return true;
    known = new Set(await admin.listTopics());
    return known.has(topic);
  }

  return {
    async connect() {
      await admin.connect();
      producers.reopen();
      producers.release(await producers.acquire());
    },
    async send(topic: string, messages: readonly OutgoingMessage[]) {
      if (!(await topicExists(topic, false)))
        throw new Error(`topic ${topic} does not exist (topics are not auto-created)`);
      const batch = messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers ? { ...m.headers } : {} }));
      for (let attempt = 0; ; attempt++) {
        const p = await producers.acquire();
        try {
          await p.send({ topic, acks: -1, messages: batch });
          return;
        } catch (err) {
          if (!isUnknownTopic(err) || attempt > 0) throw err;
          // This producer has learnt a missing topic and would fail every later send: swap in a fresh one.
          producers.replace(p);
          if (!(await topicExists(topic, true))) throw err;
        } finally {
          producers.release(p);
        }
      }
    },
    async disconnect() {
      await producers.close();
      await admin.disconnect();
    },
  };
}
