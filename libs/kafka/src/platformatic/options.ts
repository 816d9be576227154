import type { KafkaClientOptions } from '../clients';

/** Our client options as @platformatic/kafka's base options (brokers, timeouts, a bounded number of retries). */
export function baseOptions({
  brokers,
  clientId = 'shardex',
  retries = 5,
  requestTimeoutMs = 30_000,
  connectionTimeoutMs = 1_000,
}: KafkaClientOptions) {
  return {
    clientId,
    bootstrapBrokers: [...brokers],
    // A finite number: its idempotent producer otherwise retries (and so hangs a send) for ever. At least 2, because
    // the client reads 0 or 1 as "unset" for an idempotent producer.
    retries: Math.max(2, retries),
    retryDelay: 250,
    timeout: requestTimeoutMs,
    connectTimeout: connectionTimeoutMs,
    // Never create a topic by asking about it: a missing topic is an error everywhere in the ports.
    autocreateTopics: false,
  };
}
