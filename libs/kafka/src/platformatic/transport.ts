import { compatibilityPartitioner, Producer, stringSerializers } from '@platformatic/kafka';
import type { KafkaClientOptions } from '../clients';
import type { OutgoingMessage, ProduceTransport } from '../driver';
import { baseOptions } from './options';

/**
 * @platformatic/kafka's producer: idempotent (which forces acks=all and one request in flight), with the
 * murmur2 partitioner that Java and kafkajs use (its own default places 13 of 20 keys elsewhere), string
 * serializers (headers given as an object of Buffers would hang a send in 2.12).
 */
export function platformaticTransport(options: KafkaClientOptions): ProduceTransport {
  let producer: Producer<string, string, string, string> | undefined;
  const create = () =>
    new Producer<string, string, string, string>({
      ...baseOptions(options),
      idempotent: true,
      partitioner: compatibilityPartitioner,
      serializers: stringSerializers,
    });
  return {
    async connect() {
      producer ??= create();
      await producer.metadata({ topics: [] });
    },
    async send(topic: string, messages: readonly OutgoingMessage[]) {
      producer ??= create();
      await producer.send({
        messages: messages.map((m) => ({
          topic,
          key: m.key,
          value: m.value,
          headers: new Map(Object.entries(m.headers ?? {})),
        })),
      });
    },
    async disconnect() {
      const p = producer;
      producer = undefined;
      await p?.close();
    },
  };
}
