import type { Consumer } from 'kafkajs';
import type { ConsumerStatus, KafkaConsumer, ResolvedConsumerOptions } from '../consumer';
import { adminQueries } from '../queries';
import { kafkajsAdmin } from './admin';
import { createKafkaClient } from './client';
import { exclusiveAssigner } from './exclusive-assigner';

/** A kafkajs consumer in a group, with manual offset management for at-least-once processing with replay. */
export function kafkajsConsumer({
  groupId,
  exclusivePriority,
  sessionTimeoutMs,
  heartbeatIntervalMs,
  rebalanceTimeoutMs,
  maxWaitTimeMs,
  maxBytesPerPartition,
  ...client
}: ResolvedConsumerOptions): KafkaConsumer {
  const kafka = createKafkaClient(client);
  /** Set by disconnect(): kafkajs must not restart a consumer that crashed while (or just before) it was closed. */
  let closing = false;
  const consumer: Consumer = kafka.consumer({
    groupId,
    // kafkajs restarts a crashed consumer from a timer it arms after an await in its crash handler, so a disconnect
    // in between leaves a consumer that reconnects for ever to a broker its owner has let go of.
    retry: {
      retries: client.retries ?? 5,
      initialRetryTime: 100,
      maxRetryTime: 2_000,
      restartOnFailure: async () => !closing,
    },
    allowAutoTopicCreation: false,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    rebalanceTimeout: rebalanceTimeoutMs,
    maxWaitTimeInMs: maxWaitTimeMs,
    maxBytesPerPartition,
    ...(exclusivePriority !== undefined && { partitionAssigners: [exclusiveAssigner(exclusivePriority)] }),
  });
  const admin = kafkajsAdmin(client);
  const state: ConsumerStatus = { running: false, lastActivityAt: Date.now(), crashed: null };
  const alive = () => {
    state.lastActivityAt = Date.now();
  };
  const { FETCH_START, FETCH, HEARTBEAT, START_BATCH_PROCESS, END_BATCH_PROCESS } = consumer.events;
  for (const e of [FETCH_START, FETCH, HEARTBEAT, START_BATCH_PROCESS, END_BATCH_PROCESS]) consumer.on(e, alive);

  return {
    async connect() {
      await Promise.all([consumer.connect(), admin.connect()]);
    },
    async subscribe(topics) {
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    },
    async run(handler, hooks = {}) {
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        alive();
        hooks.onAssigned?.(e.payload.memberAssignment);
      });
      consumer.on(consumer.events.CRASH, (e) => {
        const { error, restart } = e.payload;
        if (!restart) {
          state.crashed = error;
          state.running = false;
        }
        hooks.onCrash?.(error, restart);
      });
      state.running = true;
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const messages = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: m.headers ?? {},
          }));
          const last = await handler(messages, {
            // kafkajs sets it on every batch but leaves it out of its type declarations.
            fetchedOffset: (batch as unknown as { fetchedOffset?: string }).fetchedOffset ?? messages[0]?.offset ?? '0',
            highWatermark: batch.highWatermark,
            shouldContinue: () => isRunning() && !isStale(),
            heartbeat,
          });
          if (last !== undefined) resolveOffset(last);
        },
      });
    },
    seek(topic, partition, offset) {
      consumer.seek({ topic, partition, offset });
    },
    pause(topic) {
      consumer.pause([{ topic }]);
    },
    resume(topic) {
      consumer.resume([{ topic }]);
    },
    async commit(topic, partition, nextOffset) {
      await consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
    },
    ...adminQueries(admin, groupId),
    status: () => ({ ...state }),
    async disconnect() {
      closing = true;
      state.running = false;
      try {
        await consumer.disconnect();
      } finally {
        await admin.disconnect();
      }
    },
  };
}
