import { type EphemeralKafka, startEphemeralKafka } from '@shardex/infra';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { TestingError } from './errors';
import { runId } from './names';

/**
 * A Kafka broker of one test's own, which it may stop, kill and restart (the shared broker of the run must never be
 * disturbed). See `EphemeralKafka` in tools/infra for what each method does.
 */
export interface DedicatedKafka extends EphemeralKafka {
  /** A kafkajs client of this broker, quiet unless something is wrong; `extra` overrides (retry, logLevel, …). */
  client(clientId?: string, extra?: Partial<KafkaConfig>): Kafka;
}

export interface DedicatedKafkaOptions {
  /** JVM heap; default `512m`. */
  heap?: string;
  /** Progress lines of the start; default silent. */
  log?: (line: string) => void;
  /** Where the run id (`SHARDEX_TEST_RUN_ID`) and the jar cache (`SHARDEX_INFRA_CACHE`) are read from. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a single-node KRaft broker of its own (the tools/infra jars and settings of the test broker, free ports,
 * `.infra/ephemeral/<id>`), ready for a produce/consume round trip, and returns it. Call `destroy()` in `afterAll`;
 * a broker that a crashed test leaves behind carries the run id and is killed and deleted by the run's teardown.
 * One JVM start takes ~5-15 s on two cores.
 */
export async function startDedicatedKafka({
  heap,
  log,
  env = process.env,
}: DedicatedKafkaOptions = {}): Promise<DedicatedKafka> {
  let broker: EphemeralKafka;
  try {
    broker = await startEphemeralKafka({
      runId: runId(env),
      cacheDir: env['SHARDEX_INFRA_CACHE'] || undefined,
      heap,
      log,
    });
  } catch (cause) {
    throw new TestingError(
      'TESTING_ERR_DEDICATED_KAFKA',
      `could not start a dedicated Kafka broker: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  // Added to the handle itself rather than spread into a copy: its `pid` and `running` are live getters.
  return Object.assign(broker, {
    client(clientId = 'shardex-test-dedicated', extra: Partial<KafkaConfig> = {}): Kafka {
      return new Kafka({ clientId, brokers: [...broker.brokers], logLevel: logLevel.ERROR, ...extra });
    },
  });
}
