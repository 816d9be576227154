import type { Logger } from '@shardex/contracts';
import { KafkaAdapterError } from './errors';

export type KafkaLogger = Logger;

/** The Kafka client libraries the ports can run on (`KAFKA_CLIENT`). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];
/** The client used when none is named: the one chosen by measurement (BENCHMARKS.md, "Kafka client"). */
export const DEFAULT_KAFKA_CLIENT: KafkaClientName = 'platformatic';

export interface KafkaClientOptions {
  brokers: readonly string[];
  /** Which client library carries the requests. Default DEFAULT_KAFKA_CLIENT. */
  client?: KafkaClientName;
  clientId?: string;
  /** Retries of a request (metadata, produce) before it fails. Default 5, backoff 100 ms → 2 s. */
  retries?: number;
  /** The client logs through this logger (warnings and errors only); without one it stays quiet below ERROR. */
  logger?: KafkaLogger;
  /** How long one request may wait for the broker's answer, ms. Default 30,000. */
  requestTimeoutMs?: number;
  /** How long connecting to a broker may take, ms. Default 1,000. */
  connectionTimeoutMs?: number;
}

const BROKER = /^[^:\s]+:\d{1,5}$/;

/**
 * A `host:port[,host:port...]` setting as the list of brokers, or undefined when it is empty or any entry is not
 * `host:port` (the caller names the setting in its own error). The one rule every app's config and the client share.
 */
export function parseBrokerList(raw: string | undefined): string[] | undefined {
  const brokers = (raw ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return brokers.length > 0 && brokers.every((b) => BROKER.test(b)) ? brokers : undefined;
}

/** A `KAFKA_CLIENT` setting: the default when unset or empty, undefined when it names no supported client. */
export function parseKafkaClient(raw: string | undefined): KafkaClientName | undefined {
  const name = (raw ?? '').trim();
  if (name === '') return DEFAULT_KAFKA_CLIENT;
  return (KAFKA_CLIENTS as readonly string[]).includes(name) ? (name as KafkaClientName) : undefined;
}

/** Throws KAFKA_ERR_CONFIG unless the options name brokers as host:port and a supported client. */
export function checkClientOptions({ brokers, client }: KafkaClientOptions): KafkaClientName {
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => !BROKER.test(b))) {
    throw new KafkaAdapterError(
      'KAFKA_ERR_CONFIG',
      `brokers must be host:port entries, got ${JSON.stringify(brokers)}`,
    );
  }
  const name = client ?? DEFAULT_KAFKA_CLIENT;
  if (!(KAFKA_CLIENTS as readonly string[]).includes(name))
    throw new KafkaAdapterError(
      'KAFKA_ERR_CONFIG',
      `client must be one of ${KAFKA_CLIENTS.join(', ')}, got ${JSON.stringify(client)}`,
    );
  return name;
}
