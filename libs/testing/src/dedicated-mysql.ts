import { type EphemeralMariaDb, startEphemeralMariaDb } from '@shardex/infra';
import type mysql from 'mysql2/promise';
import { TestingError } from './errors';
import { connectTestMysql } from './mysql-database';
import { runId } from './names';
import { type MysqlServer, parseMysqlUrl } from './test-infra';

/**
 * A MariaDB server of one test's own, which it may stop, kill and restart (the shared server of the run must never be
 * disturbed). See `EphemeralMariaDb` in tools/infra for what each method does. Its `mysql` has the shape of the run's
 * shared server, so the handle goes where the MySQL helpers take the run's infrastructure:
 * `createTestDatabase('label', server)`, `connectTestMysql(server, database)`.
 */
export interface DedicatedMysql extends EphemeralMariaDb {
  /** Host, port and credentials of this server (the application user `shardex`), as `getTestInfra().mysql`. */
  readonly mysql: MysqlServer;
  /** A mysql2 connection to this server, to `database` if given. Close it with `end()`. */
  connect(database?: string): Promise<mysql.Connection>;
}

export interface DedicatedMysqlOptions {
  /** Progress lines of the start; default silent. */
  log?: (line: string) => void;
  /** Where the run id (`SHARDEX_TEST_RUN_ID`) is read from. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a MariaDB server of its own (the tools/infra binaries, user and settings of the test server, but durable:
 * a kill loses no committed row; on a free port, in `.infra/ephemeral/<id>`), ready for `SELECT 1`, and returns it.
 * Call `destroy()` in `afterAll`; a server that a crashed test leaves behind carries the run id and is killed and
 * deleted by the run's teardown. A start takes a second or two on two cores.
 */
export async function startDedicatedMysql({
  log,
  env = process.env,
}: DedicatedMysqlOptions = {}): Promise<DedicatedMysql> {
  let server: EphemeralMariaDb;
  try {
    server = await startEphemeralMariaDb({ runId: runId(env), log });
  } catch (cause) {
    throw new TestingError(
      'TESTING_ERR_DEDICATED_MYSQL',
      `could not start a dedicated MariaDB server: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const mysqlServer = parseMysqlUrl(server.url);
  // Added to the handle itself rather than spread into a copy: its `pid` and `running` are live getters.
  return Object.assign(server, {
    mysql: mysqlServer,
    connect(database?: string): Promise<mysql.Connection> {
      return connectTestMysql({ mysql: mysqlServer }, database);
    },
  });
}
