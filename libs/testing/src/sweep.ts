import { createTestKafka, deleteTopics } from './kafka-topics';
import { dropDatabases, listDatabases } from './mysql-database';
import { isRunDatabase, isRunTopic } from './names';
import type { TestInfra } from './test-infra';

/** Deletes every topic and database the run `run` created and a test failed to drop. Returns what it removed. */
export async function sweepRun(run: string, infra: TestInfra): Promise<{ topics: string[]; databases: string[] }> {
  const admin = createTestKafka('shardex-test-sweep', infra).admin();
  await admin.connect();
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter((t) => isRunTopic(t, run));
  } finally {
    await admin.disconnect();
  }
  await deleteTopics(topics, infra);
  const databases = (await listDatabases(infra)).filter((d) => isRunDatabase(d, run));
  await dropDatabases(databases, infra);
  return { topics, databases };
}
