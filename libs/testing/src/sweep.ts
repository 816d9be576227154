import { sweepEphemeralKafka, sweepEphemeralMariaDb } from '@shardex/infra';
import { createTestKafka, deleteTopics } from './kafka-topics';
import { dropDatabases, listDatabases } from './mysql-database';
import { isRunDatabase, isRunTopic } from './names';
import type { TestInfra } from './test-infra';

export interface SweepResult {
  topics: string[];
  databases: string[];
  /** Ids of the dedicated brokers (startDedicatedKafka) it killed and deleted. */
  brokers: string[];
  /** Ids of the dedicated MariaDB servers (startDedicatedMysql) it killed and deleted. */
  mysqlServers: string[];
}

/**
 * Deletes every topic and database the run `run` created and a test failed to drop, and kills and deletes the
 * dedicated brokers and MariaDB servers of the run and any whose test process is gone. Returns what it removed.
 */
export async function sweepRun(run: string, infra: TestInfra): Promise<SweepResult> {
  // Dedicated servers first: they are local, and a leaked JVM or mariadbd must go even when the shared broker or
  // server cannot be reached.
  const brokers = (await sweepEphemeralKafka({ runId: run })).map((b) => b.id);
  const mysqlServers = (await sweepEphemeralMariaDb({ runId: run })).map((s) => s.id);
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
  return { topics, databases, brokers, mysqlServers };
}
