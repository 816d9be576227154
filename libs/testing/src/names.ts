import { randomBytes } from 'node:crypto';
import { TestingError } from './errors';
import { ENV_RUN_ID } from './test-infra';

/** Every name a test run creates starts with this, so the run's teardown can find whatever a crashed test left. */
export const TOPIC_PREFIX = 'sxt-';
export const DATABASE_PREFIX = 'sxt_';

/** The run id the global setup published, or one for this process when run outside it. */
export function runId(env: NodeJS.ProcessEnv = process.env): string {
  const id = env[ENV_RUN_ID] ?? (env[ENV_RUN_ID] = randomBytes(4).toString('hex'));
  if (!/^[0-9a-z]{1,16}$/.test(id))
    throw new TestingError('TESTING_ERR_ENV', `${ENV_RUN_ID} must be 1-16 of [0-9a-z], got "${id}"`);
  return id;
}

/** A fresh suffix per call; collisions across parallel test files are avoided by randomness, not coordination. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

const TOPIC_PART = /^[a-zA-Z0-9._-]+$/;

/** `sxt-<run>-<suffix>-<logical>`: legal Kafka topic characters, well under the 249-character limit. */
export function topicName(run: string, suffix: string, logical: string): string {
  if (!TOPIC_PART.test(logical) || logical.length > 120) {
    throw new TestingError('TESTING_ERR_NAME', `topic name "${logical}" must be 1-120 of [a-zA-Z0-9._-]`);
  }
  return `${TOPIC_PREFIX}${run}-${suffix}-${logical}`;
}

/** `sxt_<run>_<suffix>[_label]`: a MySQL identifier of at most 64 characters that needs no quoting. */
export function databaseName(run: string, suffix: string, label = ''): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 32);
  const name = `${DATABASE_PREFIX}${run}_${suffix}${clean ? `_${clean}` : ''}`;
  if (name.length > 64)
    throw new TestingError('TESTING_ERR_NAME', `database name "${name}" is longer than 64 characters`);
  return name;
}

export function isRunTopic(name: string, run: string): boolean {
  return name.startsWith(`${TOPIC_PREFIX}${run}-`);
}

export function isRunDatabase(name: string, run: string): boolean {
  return name.startsWith(`${DATABASE_PREFIX}${run}_`);
}
