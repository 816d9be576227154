import { TestingError } from './errors';

/** Where tests find their brokers and database server. */
export interface TestInfra {
  readonly kafkaBrokers: readonly string[];
  readonly mysql: MysqlServer;
}

export interface MysqlServer {
  /** `mysql://user:password@host:port/` — no database: each test file creates its own. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export type InfraSource = 'env' | 'testcontainers' | 'local';

/** Infrastructure provided to a test run, with the means to stop whatever providing it started. */
export interface ProvidedInfra extends TestInfra {
  readonly source: InfraSource;
  release(): Promise<void>;
}

export const ENV_KAFKA = 'SHARDEX_TEST_KAFKA_BROKERS';
export const ENV_MYSQL = 'SHARDEX_TEST_MYSQL_URL';
/** `docker` or `local` forces a provider; unset means env, then Docker when an engine answers, then local. */
export const ENV_PROVIDER = 'SHARDEX_TEST_INFRA';
/** Set once per run by the jest global setup; prefixes every topic and database the run creates. */
export const ENV_RUN_ID = 'SHARDEX_TEST_RUN_ID';

export function parseMysqlUrl(url: string): MysqlServer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TestingError('TESTING_ERR_ENV', `${ENV_MYSQL} is not a URL: "${url}"`, { cause });
  }
  if (parsed.protocol !== 'mysql:' || !parsed.hostname || !parsed.username) {
    throw new TestingError(
      'TESTING_ERR_ENV',
      `${ENV_MYSQL} must look like mysql://user:password@host:port/, got "${url}"`,
    );
  }
  const port = parsed.port ? Number(parsed.port) : 3306;
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const host = parsed.hostname;
  return { url: `mysql://${parsed.username}:${parsed.password}@${host}:${port}/`, host, port, user, password };
}

export function parseKafkaBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || brokers.some((b) => !/^[^:\s]+:\d{1,5}$/.test(b))) {
    throw new TestingError('TESTING_ERR_ENV', `${ENV_KAFKA} must be host:port[,host:port...], got "${value}"`);
  }
  return brokers;
}

/** The explicit settings, if any. Both variables or neither: half a configuration is a mistake worth stopping on. */
export function infraFromEnv(env: NodeJS.ProcessEnv = process.env): TestInfra | undefined {
  const kafka = env[ENV_KAFKA];
  const mysql = env[ENV_MYSQL];
  if (!kafka && !mysql) return undefined;
  if (!kafka || !mysql) {
    throw new TestingError(
      'TESTING_ERR_ENV',
      `set both ${ENV_KAFKA} and ${ENV_MYSQL}, or neither (only ${kafka ? ENV_KAFKA : ENV_MYSQL} is set)`,
    );
  }
  return { kafkaBrokers: parseKafkaBrokers(kafka), mysql: parseMysqlUrl(mysql) };
}

export function infraToEnv(infra: TestInfra): Record<string, string> {
  return { [ENV_KAFKA]: infra.kafkaBrokers.join(','), [ENV_MYSQL]: infra.mysql.url };
}

/**
 * The infrastructure of the current test run, as the jest global setup (or `with-test-infra`) published it.
 * Call it from tests; it never starts anything.
 */
export function getTestInfra(env: NodeJS.ProcessEnv = process.env): TestInfra {
  const infra = infraFromEnv(env);
  if (!infra) {
    throw new TestingError(
      'TESTING_ERR_ENV',
      `${ENV_KAFKA}/${ENV_MYSQL} are not set: run integration tests through their nx target (jest.int.config.cjs has the global setup) or set them`,
    );
  }
  return infra;
}

/** Which Kafka client library the apps under test use (KAFKA_CLIENT); unset: the apps' default. */
export const ENV_KAFKA_CLIENT = 'SHARDEX_TEST_KAFKA_CLIENT';

/** `{ KAFKA_CLIENT }` for an app's environment when the run names a client, else nothing (the app's default). */
export function kafkaClientEnv(env: NodeJS.ProcessEnv = process.env): { KAFKA_CLIENT?: string } {
  const client = env[ENV_KAFKA_CLIENT]?.trim();
  return client ? { KAFKA_CLIENT: client } : {};
}
