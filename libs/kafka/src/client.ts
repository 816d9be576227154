import type { Logger } from '@shardex/contracts';
import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import { KafkaAdapterError } from './errors';
import { dropNegativeTimeoutWarnings } from './timer-warnings';

export type KafkaLogger = Logger;

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId?: string;
  /** kafkajs retries of a request (metadata, produce) before it fails. Default 5, backoff 100 ms → 2 s. */
  retries?: number;
  /** kafkajs logs through this logger (warnings and errors only); without one it stays quiet below ERROR. */
  logger?: KafkaLogger;
  /** How long one request may wait for the broker's answer, ms. Default 30,000 (kafkajs'). */
  requestTimeoutMs?: number;
  /** How long connecting to a broker may take, ms. Default 1,000 (kafkajs'). */
  connectionTimeoutMs?: number;
}

/** One kafkajs client, its logs routed to our logger. */
export function createKafkaClient({
  brokers,
  clientId = 'shardex',
  retries = 5,
  logger,
  requestTimeoutMs = 30_000,
  connectionTimeoutMs = 1_000,
}: KafkaClientOptions): Kafka {
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => !/^[^:\s]+:\d{1,5}$/.test(b))) {
    throw new KafkaAdapterError(
      'KAFKA_ERR_CONFIG',
      `brokers must be host:port entries, got ${JSON.stringify(brokers)}`,
    );
  }
  dropNegativeTimeoutWarnings();
  return new Kafka({
    clientId,
    brokers: [...brokers],
    retry: { retries, initialRetryTime: 100, maxRetryTime: 2_000 },
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    logLevel: logger ? logLevel.WARN : logLevel.ERROR,
    ...(logger && {
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          const { message, ...rest } = log;
          const entry = { source: 'kafkajs', ...rest };
          if (level === logLevel.ERROR) logger.error(entry, message);
          else if (level === logLevel.WARN) logger.warn(entry, message);
          else logger.info(entry, message);
        },
    }),
  });
}
