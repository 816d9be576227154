import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { connectTestMysql, createTestDatabase, type TestDatabase } from '../mysql-database';
import { getTestInfra } from '../test-infra';

// Proves the server is a real MySQL-compatible database: transactions, isolation, exact decimals, unique keys.
describe('MySQL smoke (real server)', () => {
  let db: TestDatabase;
  let a: Connection;
  let b: Connection;

  beforeAll(async () => {
    db = await createTestDatabase('smoke');
    a = await connectTestMysql(getTestInfra(), db.database);
    b = await connectTestMysql(getTestInfra(), db.database);
    await a.query(`CREATE TABLE accounts (
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      owner VARCHAR(64) NOT NULL,
      balance DECIMAL(36,18) NOT NULL,
      UNIQUE KEY uq_accounts_owner (owner)
    ) ENGINE=InnoDB`);
  });

  afterAll(async () => {
    await a?.end();
    await b?.end();
    await db?.drop();
  });

  it('is a MariaDB or MySQL 8 server', async () => {
    const [rows] = await a.query<RowDataPacket[]>('SELECT VERSION() AS v');
    expect(String(rows[0]?.['v'])).toMatch(/MariaDB|^8\./);
  });

  it('commits a transaction atomically, invisible to others until commit, with exact decimals', async () => {
    await a.beginTransaction();
    const rows = Array.from({ length: 100 }, (_, i) => [i + 1, `user-${i + 1}`, `${i + 1}.000000000000000001`]);
    const [res] = await a.query<ResultSetHeader>('INSERT INTO accounts (id, owner, balance) VALUES ?', [rows]);
    expect(res.affectedRows).toBe(100);
    const [before] = await b.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM accounts');
    expect(Number(before[0]?.['n'])).toBe(0);
    await a.commit();

    const [after] = await b.query<RowDataPacket[]>('SELECT COUNT(*) AS n, SUM(balance) AS total FROM accounts');
    expect(Number(after[0]?.['n'])).toBe(100);
    // 1+…+100 = 5050, plus 100 × 1e-18: a float would have lost the tail; DECIMAL comes back as an exact string.
    expect(after[0]?.['total']).toBe('5050.000000000000000100');
  });

  it('rolls back a failed transaction completely', async () => {
    await a.beginTransaction();
    await a.query('INSERT INTO accounts (id, owner, balance) VALUES (1001, "temp", 1)');
    await a.rollback();
    const [rows] = await b.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM accounts WHERE id = 1001');
    expect(Number(rows[0]?.['n'])).toBe(0);
  });

  it('raises a real duplicate-key error on the primary key and on a unique index', async () => {
    await expect(
      a.query('INSERT INTO accounts (id, owner, balance) VALUES (1, "someone-else", 0)'),
    ).rejects.toMatchObject({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
    });
    await expect(a.query('INSERT INTO accounts (id, owner, balance) VALUES (5000, "user-7", 0)')).rejects.toMatchObject(
      {
        code: 'ER_DUP_ENTRY',
        errno: 1062,
      },
    );
  });
});
