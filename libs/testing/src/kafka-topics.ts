import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { TestingError } from './errors';
import { runId, topicName, uniqueSuffix } from './names';
import { getTestInfra, type TestInfra } from './test-infra';

export interface TopicSpec {
  /** Logical name used in the test, e.g. `shard-1-input`; the real topic name is unique per run and file. */
  name: string;
  /** Default 1. */
  partitions?: number;
  configEntries?: Record<string, string>;
}

export interface TestTopics {
  /** The real topic name for a logical one. */
  name(logical: string): string;
  /** Every real topic name, in the order they were asked for. */
  readonly all: readonly string[];
  /** Deletes the topics; safe to call twice. */
  drop(): Promise<void>;
}

/** A kafkajs client for the run's broker; quiet unless something is wrong. */
export function createTestKafka(
  clientId = 'shardex-test',
  infra: TestInfra = getTestInfra(),
  extra: Partial<KafkaConfig> = {},
): Kafka {
  return new Kafka({ clientId, brokers: [...infra.kafkaBrokers], logLevel: logLevel.ERROR, ...extra });
}

/**
 * Creates uniquely named topics for one test file (call in `beforeAll`, `drop()` in `afterAll`). Anything a
 * crashed test leaves behind carries the run id and is deleted by the run's global teardown.
 */
export async function createTestTopics(
  specs: ReadonlyArray<string | TopicSpec>,
  infra: TestInfra = getTestInfra(),
): Promise<TestTopics> {
  const run = runId();
  const suffix = uniqueSuffix();
  const byLogical = new Map<string, string>();
  const topics = specs.map((s) => {
    const spec = typeof s === 'string' ? { name: s } : s;
    if (byLogical.has(spec.name)) throw new TestingError('TESTING_ERR_NAME', `topic "${spec.name}" asked for twice`);
    const real = topicName(run, suffix, spec.name);
    byLogical.set(spec.name, real);
    return {
      topic: real,
      numPartitions: spec.partitions ?? 1,
      replicationFactor: 1,
      configEntries: Object.entries(spec.configEntries ?? {}).map(([name, value]) => ({ name, value })),
    };
  });
  const admin = createTestKafka('shardex-test-admin', infra).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  let dropped = false;
  return {
    all: topics.map((t) => t.topic),
    name(logical) {
      const real = byLogical.get(logical);
      if (!real)
        throw new TestingError(
          'TESTING_ERR_NAME',
          `no test topic named "${logical}" (have ${[...byLogical.keys()].join(', ')})`,
        );
      return real;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await deleteTopics(
        topics.map((t) => t.topic),
        infra,
      );
    },
  };
}

export async function deleteTopics(names: readonly string[], infra: TestInfra = getTestInfra()): Promise<void> {
  if (names.length === 0) return;
  const admin = createTestKafka('shardex-test-admin', infra).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = names.filter((n) => existing.has(n));
    if (doomed.length === 0) return;
    await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    // The controller has committed the deletion; a broker's metadata cache (what listTopics reads) follows a moment
    // later. Wait for it, so that "dropped" means no client can see the topics any more.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const still = new Set(await admin.listTopics());
      if (!doomed.some((n) => still.has(n))) return;
      if (Date.now() > deadline)
        throw new TestingError('TESTING_ERR_CLEANUP', `topics still listed after deletion: ${doomed.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
