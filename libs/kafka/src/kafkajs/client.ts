import net from 'node:net';
import tls from 'node:tls';
import { Kafka, type ISocketFactory, type LogEntry, logLevel } from 'kafkajs';
import { checkClientOptions, type KafkaClientOptions } from '../clients';
import { dropNegativeTimeoutWarnings } from './timer-warnings';

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

/** One kafkajs client, its logs routed to our logger (also what tests and tools use to inspect a cluster). */
export function createKafkaClient({
  brokers,
  clientId = 'shardex',
  retries = 5,
  logger,
  requestTimeoutMs = 30_000,
  connectionTimeoutMs = 1_000,
}: Omit<KafkaClientOptions, 'client'>): Kafka {
  checkClientOptions({ brokers });
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
