import { down, type Service, status, up } from '@shardex/infra';

/** Kafka and MySQL for a benchmark run. */
export interface BenchInfra {
  brokers: string[];
  /** mysql://user:pw@host:port/ — a user that may create and drop databases. */
  serverUrl: string;
  /** The broker's and the database server's pids when they run here (for CPU accounting), else undefined. */
  pids: { kafka?: number; mariadb?: number };
  /** What this run started (and `release` stops). */
  started: Service[];
  /** Stops what this run started; leaves alone whatever was already up. */
  release(): Promise<void>;
}

/**
 * BENCH_KAFKA_BROKERS and BENCH_MYSQL_URL when both are set; otherwise the durable "stack" profile of tools/infra,
 * started for the run if it is not already up (and stopped after only then).
 */
export async function benchInfra(env: NodeJS.ProcessEnv = process.env): Promise<BenchInfra> {
  const brokers = env['BENCH_KAFKA_BROKERS']?.split(',').filter(Boolean);
  const serverUrl = env['BENCH_MYSQL_URL'];
  if (brokers?.length && serverUrl)
    return { brokers, serverUrl, pids: {}, started: [], release: async () => undefined };
  const res = await up({ profile: 'stack', services: ['mariadb', 'kafka'] });
  const pids: BenchInfra['pids'] = {};
  for (const s of await status({ profile: 'stack' })) if (s.pid !== undefined) pids[s.service] = s.pid;
  return {
    brokers: res.kafkaBrokers,
    serverUrl: res.mysqlUrl,
    pids,
    started: res.started,
    release: async () => {
      if (res.started.length) await down({ profile: 'stack', services: res.started });
    },
  };
}
