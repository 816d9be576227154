import { createDb, createInstrumentRegistry, migrateLatest } from '@shardex/db';
import { createKafkaProducer } from '@shardex/kafka';
import type { OpenLifecycle } from '../lifecycle/lifecycle.port';
import { createOutcomeSource } from '../lifecycle/outcomes';

/** The real session: an acks=all producer, the outcome watcher when waiting, the instrument registry for init. */
export const openKafkaLifecycle: OpenLifecycle = async (fleet, { wait, mysqlUrl }) => {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const producer = createKafkaProducer({
      brokers: fleet.brokers,
      client: fleet.client,
      clientId: 'shardex-orchestrator',
      lingerMs: 0,
    });
    await producer.connect();
    closers.push(() => producer.disconnect());
    const outcomes = wait
      ? createOutcomeSource({ brokers: fleet.brokers, client: fleet.client, shards: fleet.shardMap.shards })
      : undefined;
    if (outcomes) closers.push(() => outcomes.stop());
    let publishInstruments;
    if (mysqlUrl) {
      const db = createDb({ url: mysqlUrl, poolMax: 2 });
      closers.push(() => db.destroy());
      await migrateLatest(db);
      const registry = createInstrumentRegistry(db);
      publishInstruments = (assignments: Parameters<typeof registry.publish>[0]['instruments']) =>
        registry.publish({ instruments: assignments, at: new Date(), createdBy: 'orchestrator init' });
    }
    return {
      producer,
      ...(outcomes ? { outcomes } : {}),
      ...(publishInstruments ? { publishInstruments } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
};
