import { CodedError } from '@shardex/contracts';

export const KAFKA_ERROR_CODES = {
  KAFKA_ERR_CONFIG: 'Invalid adapter options (brokers, linger, batch size, topic settings).',
  KAFKA_ERR_NOT_CONNECTED: 'The producer was used before connect() or after disconnect().',
  KAFKA_ERR_SEND: 'The broker did not acknowledge a record (after the client’s retries); `cause` has the reason.',
  KAFKA_ERR_NOT_SENT:
    'The record was refused without being sent: a send to its topic failed moments ago (the producer’s open circuit).',
  KAFKA_ERR_TOPIC: 'A topic could not be created, or exists with fewer partitions than required.',
} as const;

export type KafkaErrorCode = keyof typeof KAFKA_ERROR_CODES;

export class KafkaAdapterError extends CodedError<KafkaErrorCode> {
  override readonly name = 'KafkaAdapterError';
}
