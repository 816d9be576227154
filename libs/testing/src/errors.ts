/** Error codes of the test harness; each is documented here and checked by errors.spec.ts. */
export const TESTING_ERROR_CODES = {
  TESTING_ERR_ENV: 'SHARDEX_TEST_KAFKA_BROKERS / SHARDEX_TEST_MYSQL_URL are malformed or only one of them is set.',
  TESTING_ERR_INFRA: 'Neither a Docker engine nor the local tools/infra could provide Kafka and MySQL.',
  TESTING_ERR_NAME: 'A requested topic or database name is invalid or used twice.',
  TESTING_ERR_CLEANUP: 'Deleted test topics were still listed by the broker after the wait.',
  TESTING_ERR_DEDICATED_KAFKA:
    'A dedicated Kafka broker (for fault tests) could not be started; it needs Java and the broker jars of tools/infra.',
  TESTING_ERR_DEDICATED_MYSQL:
    "A dedicated MariaDB server (for fault tests) could not be started; it needs mariadbd and mariadb-install-db (Debian's mariadb-server).",
} as const;

export type TestingErrorCode = keyof typeof TESTING_ERROR_CODES;

export class TestingError extends Error {
  override readonly name = 'TestingError';
  readonly retriable = false;
  constructor(
    readonly code: TestingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
