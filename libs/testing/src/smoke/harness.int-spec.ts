import { createTestKafka, createTestTopics } from '../kafka-topics';
import { connectTestMysql, createTestDatabase } from '../mysql-database';
import type { RowDataPacket } from 'mysql2/promise';

// The helpers clean up after themselves: what drop() removes is really gone from the broker and the server.
describe('test harness helpers', () => {
  it('creates topics with the asked partitions and deletes them on drop', async () => {
    const topics = await createTestTopics(['a', { name: 'b', partitions: 4 }]);
    const admin = createTestKafka('harness-spec').admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [...topics.all] });
      const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [topics.name('a')]: 1, [topics.name('b')]: 4 });
      await topics.drop();
      const left = await admin.listTopics();
      expect(left.filter((t) => topics.all.includes(t))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });

  it('creates an empty utf8mb4 database and drops it', async () => {
    const db = await createTestDatabase('harness');
    const conn = await connectTestMysql();
    try {
      const [rows] = await conn.query<RowDataPacket[]>(
        'SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [db.database],
      );
      expect(rows.map((r) => r['cs'])).toEqual(['utf8mb4']);
      await db.drop();
      const [after] = await conn.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [db.database],
      );
      expect(Number(after[0]?.['n'])).toBe(0);
    } finally {
      await conn.end();
    }
  });
});
