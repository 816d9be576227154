import { existsSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { type DedicatedKafka, startDedicatedKafka } from './dedicated-kafka';
import { getTestInfra } from './test-infra';

const TOPIC = 'fault-test';
const BEFORE = 50;

async function waitUntil(what: string | (() => string), condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(50);
  }
}

/** The values of the topic's single partition, from the beginning, read by a fresh consumer group. */
async function readAll(kafka: Kafka, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `dedicated-spec-${Date.now()}`, allowAutoTopicCreation: false });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    await waitUntil(
      () => `${expected} messages (have ${values.length})`,
      () => values.length >= expected,
      30_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return values;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The broker a fault test may stop, kill and restart: its data survives both, a producer with retries rides out
// the outage, and destroy() leaves neither a process nor a directory behind.
describe('dedicated Kafka broker', () => {
  let broker: DedicatedKafka | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await broker?.destroy();
  });

  it('keeps its data over a stop under load and over a kill, serves again after start, and is gone after destroy', async () => {
    broker = await startDedicatedKafka();
    const b = broker;
    expect(b.brokers).toEqual([`127.0.0.1:${b.port}`]);
    expect(getTestInfra().kafkaBrokers).not.toContain(b.brokers[0]);
    // Connection errors are the point of this test; kafkajs would log each one.
    const kafka = b.client('dedicated-spec', {
      logLevel: logLevel.NOTHING,
      retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const p = producer;
    await p.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: BEFORE }, (_, i) => ({ key: 'k', value: String(i) })),
    });
    expect(await readAll(kafka, BEFORE)).toEqual(Array.from({ length: BEFORE }, (_, i) => String(i)));

    // One message after another, each acknowledged by all replicas, while the broker goes away and comes back.
    const acked: Array<{ seq: number; at: number }> = [];
    let sending = true;
    let sendError: unknown;
    const sender = (async () => {
      for (let seq = BEFORE; sending; seq++) {
        await p.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: String(seq) }] });
        acked.push({ seq, at: Date.now() });
        await sleep(20);
      }
    })().catch((err: unknown) => {
      sendError = err;
    });
    await waitUntil('acks before the stop', () => acked.length >= 10, 10_000);

    expect(await b.stop()).toBe('stopped');
    const downAt = Date.now();
    expect(b.running).toBe(false);
    expect(await portOpen(b.port)).toBe(false);
    const ackedWhileUp = acked.length;
    await sleep(2_500);
    // Nothing is acknowledged while the broker is down, and the producer has not given up: its send is waiting.
    expect(acked.length).toBe(ackedWhileUp);
    expect(sendError).toBeUndefined();

    await b.start();
    expect(b.running).toBe(true);
    await waitUntil(
      'acks after the restart',
      () => acked.length >= ackedWhileUp + 10 || sendError !== undefined,
      30_000,
    );
    sending = false;
    await sender;
    expect(sendError).toBeUndefined();
    // The send that was in flight when the broker stopped completed only after the outage.
    expect(acked[ackedWhileUp]?.at).toBeGreaterThan(downAt + 2_500);

    // Every acknowledged message is there exactly once and in order, the ones from before the stop included.
    const total = BEFORE + acked.length;
    expect(acked.map((a) => a.seq)).toEqual(Array.from({ length: acked.length }, (_, i) => BEFORE + i));
    const [offsets] = await admin.fetchTopicOffsets(TOPIC);
    expect(offsets?.high).toBe(String(total));
    expect(await readAll(kafka, total)).toEqual(Array.from({ length: total }, (_, i) => String(i)));

    // A crash instead of a shutdown: the data survives (log recovery on start) and the broker serves again.
    expect(await b.kill()).toBe('killed');
    expect(b.running).toBe(false);
    await b.start();
    await p.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: String(total) }] });
    expect(await readAll(kafka, total + 1)).toEqual(Array.from({ length: total + 1 }, (_, i) => String(i)));

    await producer.disconnect();
    await admin.disconnect();
    const pid = b.pid;
    expect(pid).toEqual(expect.any(Number));
    await b.destroy();
    await b.destroy(); // idempotent
    expect(existsSync(b.dir)).toBe(false);
    expect(pid !== undefined && alive(pid)).toBe(false);
    expect(await portOpen(b.port)).toBe(false);
    expect(await portOpen(b.controllerPort)).toBe(false);
  }, 240_000);
});
