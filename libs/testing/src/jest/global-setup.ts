import { randomBytes } from 'node:crypto';
import { sweepEphemeralKafka, sweepEphemeralMariaDb } from '@shardex/infra';
import { provideTestInfra } from '../provide-infra';
import { ENV_RUN_ID, infraToEnv, type ProvidedInfra } from '../test-infra';

/** Shared with global-teardown.ts: jest runs both in its parent process. */
export const HANDLE = Symbol.for('shardex.testInfra');

/**
 * Provides Kafka and MySQL once per jest run and publishes them through env, which the test workers inherit.
 * Inside `with-test-infra` (the root test command) the env is already set and nothing is started here.
 */
export default async function globalSetup(): Promise<void> {
  // Dedicated brokers and servers whose test process died with an earlier run (killed jest, say) would hold memory
  // (512 MB a broker) for this one.
  const brokers = await sweepEphemeralKafka();
  if (brokers.length) {
    process.stderr.write(`test setup: removed orphaned dedicated brokers ${brokers.map((o) => o.id).join(', ')}\n`);
  }
  const servers = await sweepEphemeralMariaDb();
  if (servers.length) {
    process.stderr.write(
      `test setup: removed orphaned dedicated MariaDB servers ${servers.map((o) => o.id).join(', ')}\n`,
    );
  }
  const infra = await provideTestInfra();
  Object.assign(process.env, infraToEnv(infra));
  process.env[ENV_RUN_ID] ??= randomBytes(4).toString('hex');
  (globalThis as Record<symbol, ProvidedInfra | undefined>)[HANDLE] = infra;
}
