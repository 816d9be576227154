/**
 * `npm run bench:kafka` — the Kafka client libraries side by side through our own ports (issue 14): producer
 * throughput (idempotent, acks=all, batched by the port), consumer throughput, and CPU per message of the client's
 * process and of the broker, in one run, the clients alternating round by round so drift hits both alike.
 * `npm run bench -- --kafka-clients kafkajs,platformatic` is the end-to-end comparison.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createKafkaClient,
  createKafkaConsumer,
  createKafkaProducer,
  KAFKA_CLIENTS,
  type KafkaClientName,
} from '@shardex/kafka';
import { benchInfra } from './infra';
import { type ClientRun, clientTable, summarizeClientRuns } from './kafka-clients-report';
import { describeMachine, gitCommit } from './machine';
import { kafkaClientList, positiveInt } from './options';
import { cpuTimeMs } from './processes';

const log = (line: string) => process.stderr.write(`${line}\n`);
const USAGE = `npm run bench:kafka [-- options]   the Kafka clients through the ports, side by side

  --clients list     which clients, comma-separated (default: all: ${KAFKA_CLIENTS.join(', ')})
  --records n        records per round and direction (default 100000)
  --bytes n          value size (default 200)
  --rounds n         rounds; each runs every client once, alternating the order (default 3)
  --window n         sends outstanding at once, as a shard publishing its events (default 10000)
  --out dir          where the .json and .md go (default bench-results)
`;

function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function produce(
  client: KafkaClientName,
  brokers: string[],
  topic: string,
  records: number,
  value: string,
  window: number,
  brokerPid: number | undefined,
): Promise<ClientRun['produce']> {
  const producer = createKafkaProducer({ brokers, client, clientId: `bench-kafka-${client}` });
  await producer.connect();
  try {
    const keys = Array.from({ length: 20 }, (_, i) => `SYM-${i}`);
    const cpu0 = cpuNowMs();
    const broker0 = brokerPid ? cpuTimeMs(brokerPid) : undefined;
    const t0 = performance.now();
    let inFlight: Promise<void>[] = [];
    for (let i = 0; i < records; i++) {
      inFlight.push(producer.send({ topic, key: keys[i % keys.length] as string, value, headers: { seq: String(i) } }));
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    await producer.flush();
    const seconds = (performance.now() - t0) / 1000;
    const broker1 = brokerPid ? cpuTimeMs(brokerPid) : undefined;
    return {
      perSec: records / seconds,
      cpuUsPerMsg: ((cpuNowMs() - cpu0) * 1000) / records,
      brokerCpuUsPerMsg:
        broker0 !== undefined && broker1 !== undefined ? ((broker1 - broker0) * 1000) / records : undefined,
    };
  } finally {
    await producer.disconnect();
  }
}

async function consume(
  client: KafkaClientName,
  brokers: string[],
  topic: string,
  records: number,
  brokerPid: number | undefined,
): Promise<ClientRun['consume']> {
  const consumer = createKafkaConsumer({
    brokers,
    client,
    clientId: `bench-kafka-${client}`,
    groupId: `${topic}-${client}`,
    maxWaitTimeMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    let seen = 0;
    let firstAt = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const cpu0 = cpuNowMs();
    const broker0 = brokerPid ? cpuTimeMs(brokerPid) : undefined;
    const t0 = performance.now();
    await consumer.run(async (messages) => {
      if (seen === 0) firstAt = performance.now();
      seen += messages.length;
      if (seen >= records) done();
      return messages.at(-1)?.offset;
    });
    await all;
    const end = performance.now();
    const broker1 = brokerPid ? cpuTimeMs(brokerPid) : undefined;
    return {
      perSec: records / ((end - t0) / 1000),
      perSecAfterFirst: records / ((end - firstAt) / 1000),
      cpuUsPerMsg: ((cpuNowMs() - cpu0) * 1000) / records,
      brokerCpuUsPerMsg:
        broker0 !== undefined && broker1 !== undefined ? ((broker1 - broker0) * 1000) / records : undefined,
    };
  } finally {
    await consumer.disconnect();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string' },
      records: { type: 'string' },
      bytes: { type: 'string' },
      rounds: { type: 'string' },
      window: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const clients = kafkaClientList('--clients', values.clients ?? KAFKA_CLIENTS.join(','));
  const records = positiveInt('--records', values.records, 100_000);
  const value = 'v'.repeat(positiveInt('--bytes', values.bytes, 200));
  const rounds = positiveInt('--rounds', values.rounds, 3);
  const window = positiveInt('--window', values.window, 10_000);
  const runId = randomBytes(3).toString('hex');

  log('bench:kafka: Kafka and MariaDB (tools/infra, profile "stack"; started if not up, stopped after only then)');
  const infra = await benchInfra();
  const admin = createKafkaClient({ brokers: infra.brokers, clientId: 'bench-kafka-admin' }).admin();
  const topics: string[] = [];
  const runs: ClientRun[] = [];
  const machine = await describeMachine(infra.serverUrl);
  try {
    await admin.connect();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? clients : [...clients].reverse();
      for (const client of order) {
        const topic = `bench-kafka-${runId}-${round}-${client}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        topics.push(topic);
        const p = await produce(client, infra.brokers, topic, records, value, window, infra.pids.kafka);
        const c = await consume(client, infra.brokers, topic, records, infra.pids.kafka);
        runs.push({ client, round, produce: p, consume: c });
        log(
          `  round ${round + 1} ${client.padEnd(12)} produce ${Math.round(p.perSec)}/s ${p.cpuUsPerMsg.toFixed(1)} µs/msg` +
            ` | consume ${Math.round(c.perSec)}/s ${c.cpuUsPerMsg.toFixed(1)} µs/msg`,
        );
      }
    }
  } finally {
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    const groups = clients.flatMap((c) => topics.map((t) => `${t}-${c}`));
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    await infra.release();
  }
  const summary = summarizeClientRuns(runs);
  const outDir = path.resolve(values.out ?? 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const result = {
    command: ['npm run bench:kafka', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    commit: gitCommit(process.cwd()),
    machine,
    settings: { clients, records, valueBytes: value.length, rounds, window },
    runs,
    summary,
  };
  writeFileSync(path.join(outDir, `kafka-clients-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = clientTable(summary);
  writeFileSync(path.join(outDir, `kafka-clients-${stamp}.md`), `${table}\n`);
  process.stdout.write(`${table}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench:kafka: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
