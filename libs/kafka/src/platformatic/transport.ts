import { compatibilityPartitioner, Producer, stringSerializers } from '@platformatic/kafka';
import type { KafkaClientOptions } from '../clients';
import type { OutgoingMessage, ProduceTransport } from '../driver';
import { KafkaAdapterError } from '../errors';
import { baseOptions } from './options';

/**
 * @platformatic/kafka's producer: idempotent (which forces acks=all and one request in flight), with the
 * murmur2 partitioner that Java and kafkajs use (its own default places 13 of 20 keys elsewhere), string
 * serializers (headers given as an object of Buffers would hang a send in 2.12).
 */
export function platformaticTransport(options: KafkaClientOptions): ProduceTransport {
  let producer: Producer<string, string, string, string> | undefined;
  let closed = false;
  const create = () =>
    new Producer<string, string, string, string>({
      ...baseOptions(options),
      idempotent: true,
      partitioner: compatibilityPartitioner,
      serializers: stringSerializers,
    });
  return {
    async connect() {
      closed = false;
      producer ??= create();
      await producer.metadata({ topics: [] });
    },
    async send(topic: string, messages: readonly OutgoingMessage[]) {
      // A batch whose linger ends after disconnect() must fail, not open a new client nobody will close.
      if (closed) throw new KafkaAdapterError('KAFKA_ERR_NOT_CONNECTED', 'producer is not connected');
      producer ??= create();
      await producer
        .send({
          messages: messages.map((m) => ({
            topic,
            key: m.key,
            value: m.value,
            headers: new Map(Object.entries(m.headers ?? {})),
          })),
        })
        .catch((err: unknown) => {
          // The same words as the other client, for the operators reading them (orchestrator reports, logs).
          if (/unknown topic/i.test((err as Error)?.message ?? ''))
            throw new Error(`topic ${topic} does not exist (topics are not auto-created)`, { cause: err });
          throw err;
        });
    },
    async disconnect() {
      closed = true;
      const p = producer;
      producer = undefined;
      await p?.close();
    },
  };
}
