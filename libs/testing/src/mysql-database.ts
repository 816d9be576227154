import mysql from 'mysql2/promise';
import { databaseName, runId, uniqueSuffix } from './names';
import { getTestInfra, type TestInfra } from './test-infra';

/**
 * Where the helpers below connect: the run's shared server (`getTestInfra()`, the default) or any handle with the
 * same `mysql`, such as a dedicated server (`startDedicatedMysql()`).
 */
export type MysqlInfra = Pick<TestInfra, 'mysql'>;

export interface TestDatabase {
  readonly database: string;
  /** `mysql://user:password@host:port/<database>` */
  readonly url: string;
  /** Ready for knex's `connection` or mysql2's `createConnection`. */
  readonly connection: { host: string; port: number; user: string; password: string; database: string };
  /** Drops the database; safe to call twice. */
  drop(): Promise<void>;
}

/** A server-level connection (no default database) to the run's MySQL, or to `database`. Close it with `end()`. */
export function connectTestMysql(infra: MysqlInfra = getTestInfra(), database?: string): Promise<mysql.Connection> {
  const { host, port, user, password } = infra.mysql;
  return mysql.createConnection({ host, port, user, password, database, multipleStatements: false });
}

/** Creates a uniquely named, empty database for one test file (utf8mb4, as the migrations expect). */
export async function createTestDatabase(label = '', infra: MysqlInfra = getTestInfra()): Promise<TestDatabase> {
  const database = databaseName(runId(), uniqueSuffix(), label);
  const conn = await connectTestMysql(infra);
  try {
    await conn.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
  const { host, port, user, password, url } = infra.mysql;
  let dropped = false;
  return {
    database,
    url: `${url}${database}`,
    connection: { host, port, user, password, database },
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabases([database], infra);
    },
  };
}

export async function dropDatabases(names: readonly string[], infra: MysqlInfra = getTestInfra()): Promise<void> {
  if (names.length === 0) return;
  const conn = await connectTestMysql(infra);
  try {
    // Names come from databaseName() or SHOW DATABASES filtered by our prefix: plain identifiers, safe to quote.
    for (const name of names) await conn.query(`DROP DATABASE IF EXISTS \`${name.replace(/`/g, '')}\``);
  } finally {
    await conn.end();
  }
}

export async function listDatabases(infra: MysqlInfra = getTestInfra()): Promise<string[]> {
  const conn = await connectTestMysql(infra);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW DATABASES');
    return rows.map((r) => String(r['Database']));
  } finally {
    await conn.end();
  }
}
