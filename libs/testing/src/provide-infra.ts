import { down, up } from '@shardex/infra';
import { TestingError } from './errors';
import { ENV_PROVIDER, infraFromEnv, parseMysqlUrl, type ProvidedInfra } from './test-infra';

export type Log = (line: string) => void;

/** Images for the Docker path: the same Kafka line (3.9, KRaft) and MySQL major that docker/ and k8s/ deploy. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.1';
export const MYSQL_IMAGE = 'mysql:8.4';

/**
 * Provides Kafka and MySQL for a test run, in the order the README gives: explicit env; testcontainers when a
 * Docker engine answers; otherwise the local services of `tools/infra` (installed and started if needed).
 */
export async function provideTestInfra({
  log = defaultLog,
  env = process.env,
}: { log?: Log; env?: NodeJS.ProcessEnv } = {}): Promise<ProvidedInfra> {
  const explicit = infraFromEnv(env);
  if (explicit) return { ...explicit, source: 'env', release: async () => undefined };

  const forced = env[ENV_PROVIDER];
  if (forced !== undefined && forced !== 'docker' && forced !== 'local') {
    throw new TestingError('TESTING_ERR_ENV', `${ENV_PROVIDER} must be "docker" or "local", got "${forced}"`);
  }
  if (forced === 'docker' || (forced === undefined && (await dockerAnswers()))) {
    return startContainers(log);
  }
  return startLocal(log, env['SHARDEX_INFRA_CACHE'] || undefined);
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), 10_000);
    return true;
  } catch {
    return false;
  }
}

async function startContainers(log: Log): Promise<ProvidedInfra> {
  log(`test infra: Docker engine found, starting ${KAFKA_IMAGE} and ${MYSQL_IMAGE} with testcontainers`);
  const [{ KafkaContainer }, { MySqlContainer }] = await Promise.all([
    import('@testcontainers/kafka'),
    import('@testcontainers/mysql'),
  ]);
  const [kafka, mysql] = await Promise.allSettled([
    // Same broker settings as tools/infra: topics are created explicitly (tests rely on a missing topic staying
    // missing), and lone consumers need not wait for a group to fill.
    new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
      .start(),
    new MySqlContainer(MYSQL_IMAGE).withRootPassword('shardex').start(),
  ]);
  if (kafka.status === 'rejected' || mysql.status === 'rejected') {
    await Promise.all([kafka, mysql].map((c) => (c.status === 'fulfilled' ? c.value.stop() : undefined)));
    const reason = kafka.status === 'rejected' ? kafka.reason : mysql.status === 'rejected' ? mysql.reason : undefined;
    throw new TestingError('TESTING_ERR_INFRA', 'testcontainers could not start Kafka and MySQL', { cause: reason });
  }
  return {
    source: 'testcontainers',
    kafkaBrokers: [`${kafka.value.getHost()}:${kafka.value.getMappedPort(9093)}`],
    mysql: parseMysqlUrl(`mysql://root:shardex@${mysql.value.getHost()}:${mysql.value.getPort()}/`),
    release: async () => {
      await Promise.all([kafka.value.stop(), mysql.value.stop()]);
    },
  };
}

async function startLocal(log: Log, cacheDir: string | undefined): Promise<ProvidedInfra> {
  log('test infra: no Docker engine, using tools/infra (local MariaDB and Kafka, profile "test")');
  let res;
  try {
    res = await up({ profile: 'test', cacheDir, log: (line) => log(`  ${line}`) });
  } catch (cause) {
    throw new TestingError(
      'TESTING_ERR_INFRA',
      `tools/infra up failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const started = res.started;
  if (started.length) log(`test infra: started ${started.join(' and ')}; they are stopped when the run ends`);
  return {
    source: 'local',
    kafkaBrokers: res.kafkaBrokers,
    mysql: parseMysqlUrl(res.mysqlUrl),
    // Stop only what this run started: a developer's own `tools/infra up` stays up.
    release: async () => {
      if (started.length) await down({ profile: 'test', services: started, log: (line) => log(`  ${line}`) });
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const defaultLog: Log = (line) => process.stderr.write(`${line}\n`);
