import type { InstrumentSpec } from '@shardex/contracts';
import type { ProducerPort } from '@shardex/order-router';
import type { Fleet } from '../fleet';
import type { OutcomeSource } from './outcomes';

/** What the lifecycle commands talk to; the Kafka/MySQL adapter in production, fakes in unit tests. */
export interface LifecycleSession {
  producer: ProducerPort;
  /** Present when the command waits for the shards' answers. */
  outcomes?: OutcomeSource;
  /** Stores an instrument set in the registry the gateways read (init only). */
  publishInstruments?(assignments: Array<{ spec: InstrumentSpec; shardId: string }>): Promise<{ version: number }>;
  close(): Promise<void>;
}

export type OpenLifecycle = (fleet: Fleet, options: { wait: boolean; mysqlUrl?: string }) => Promise<LifecycleSession>;
