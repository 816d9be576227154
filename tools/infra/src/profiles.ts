import { InfraError } from './errors';

/**
 * A profile is one independent set of local services. `test` trades durability for speed (no fsync anywhere);
 * `stack` is what the quick start runs and is configured to survive a crash without losing a committed row.
 */
export interface InfraProfile {
  readonly name: 'test' | 'stack';
  readonly durable: boolean;
  readonly mysqlPort: number;
  readonly kafkaPort: number;
  readonly controllerPort: number;
  /** JVM heap for the broker; 2 cores / 24 GiB boxes also run MariaDB, the services and the tests. */
  readonly kafkaHeap: string;
  readonly innodbBufferPool: string;
}

export const PROFILES: Readonly<Record<InfraProfile['name'], InfraProfile>> = Object.freeze({
  test: Object.freeze({
    name: 'test',
    durable: false,
    mysqlPort: 13306,
    kafkaPort: 19092,
    controllerPort: 19093,
    kafkaHeap: '768m',
    innodbBufferPool: '512M',
  }),
  stack: Object.freeze({
    name: 'stack',
    durable: true,
    mysqlPort: 23306,
    kafkaPort: 29092,
    controllerPort: 29093,
    kafkaHeap: '1g',
    innodbBufferPool: '1G',
  }),
});

export function getProfile(name: string): InfraProfile {
  if (name === 'test' || name === 'stack') return PROFILES[name];
  throw new InfraError('INFRA_ERR_CONFIG', `unknown profile "${name}" (expected "test" or "stack")`);
}

/**
 * A profile by name, or a profile object as given (tests use one on free ports with a temporary repo root, so they
 * never touch the services of the real profiles). An object is checked: its ports must be distinct and valid.
 */
export function resolveProfile(profile: InfraProfile['name'] | InfraProfile): InfraProfile {
  if (typeof profile === 'string') return getProfile(profile);
  getProfile(profile.name);
  const ports = [profile.mysqlPort, profile.kafkaPort, profile.controllerPort];
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535) || new Set(ports).size !== ports.length) {
    throw new InfraError(
      'INFRA_ERR_CONFIG',
      `profile "${profile.name}": ports must be three distinct integers in 1-65535, got ${ports.join(', ')}`,
    );
  }
  return Object.freeze({ ...profile });
}

/** Credentials the local MariaDB is bootstrapped with; loopback-only, so they guard nothing but mistakes. */
export const MYSQL_USER = 'shardex';
export const MYSQL_PASSWORD = 'shardex';

export function mysqlUrl(profile: InfraProfile, database = ''): string {
  return loopbackMysqlUrl(profile.mysqlPort, database);
}

/** The URL of a server of this tool on 127.0.0.1:`port` (a profile's or an ephemeral one), as the application user. */
export function loopbackMysqlUrl(port: number, database = ''): string {
  return `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:${port}/${database}`;
}

export function kafkaBrokers(profile: InfraProfile): string[] {
  return [`127.0.0.1:${profile.kafkaPort}`];
}
