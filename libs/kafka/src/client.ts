import type { Logger } from '@shardex/contracts';
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, type ISocketFactory, type LogEntry, logLevel } from 'kafkajs';
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

/**
 * kafkajs' own socket factory leaves Nagle's algorithm on: a small produce request written while an earlier one is
 * unacknowledged waits for the broker's delayed ACK (~40 ms on Linux), which capped a producer sending one record
 * per request at a few dozen requests a second. Requests are whole buffers, so there is nothing for Nagle to merge.
 */
const noDelaySockets: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(!net.isIP(host) ? { servername: host } : {}), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

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

/** One kafkajs client, its logs routed to our logger. */
export function createKafkaClient({
  brokers,
  clientId = 'shardex',
  retries = 5,
  logger,
  requestTimeoutMs = 30_000,
  connectionTimeoutMs = 1_000,
}: KafkaClientOptions): Kafka {
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => !BROKER.test(b))) {
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
    socketFactory: noDelaySockets,
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
