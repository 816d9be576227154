import { sweepRun } from '../sweep';
import { ENV_RUN_ID, type ProvidedInfra } from '../test-infra';
import { HANDLE } from './global-setup';

/** Deletes what the run's tests left behind, then stops what the global setup started (nothing, if it started nothing). */
export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as Record<symbol, ProvidedInfra | undefined>)[HANDLE];
  if (!infra) return;
  const run = process.env[ENV_RUN_ID];
  try {
    if (run) {
      const left = await sweepRun(run, infra);
      const all = [
        ...left.topics,
        ...left.databases,
        ...left.brokers.map((id) => `dedicated broker ${id}`),
        ...left.mysqlServers.map((id) => `dedicated MariaDB server ${id}`),
      ];
      if (all.length) process.stderr.write(`test teardown: removed leftovers ${all.join(', ')}\n`);
    }
  } finally {
    await infra.release();
  }
}
