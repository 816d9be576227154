import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parseShardMap } from '@shardex/order-router';
import { argv, composeDotenv, dependsOn, interpolate, loadCompose, serviceEnv } from './compose';
import { composeRuns, isAppService } from './deployments';
import { COMPOSE_FILE, rootPath } from './paths';

// The Compose Specification's JSON schema, as the dclint package ships it (no network at test time).
const schemaPath = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
// draft-07 (Ajv's default dialect); its https $schema URI is one Ajv does not know by that spelling.
delete schema['$schema'];
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const compose = loadCompose();
const services = compose.services;
const runs = composeRuns(compose);
const appServices = Object.keys(services).filter((n) => isAppService(services[n] ?? {}));
const runOf = (name: string) => runs.find((r) => r.owner === name);
/** The service running `<app> [subcommand...]`. */
const servicesRunning = (app: string, ...sub: string[]) =>
  runs.filter((r) => r.app === app && sub.every((s, i) => r.args[i] === s)).map((r) => r.owner);

/** Every service `name` waits for, directly or through others, with the condition of the nearest wait. */
function waitsFor(name: string, seen = new Set<string>()): Map<string, string> {
  const out = new Map<string, string>();
  for (const [dep, condition] of Object.entries(dependsOn(services[name] ?? {}))) {
    if (seen.has(dep)) throw new Error(`depends_on cycle through ${dep}`);
    if (!out.has(dep)) out.set(dep, condition);
    for (const [d, c] of waitsFor(dep, new Set([...seen, dep]))) if (!out.has(d)) out.set(d, c);
  }
  return out;
}

describe('compose: docker/compose.yaml', () => {
  it('validates against the Compose Specification schema', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // The schema really rejects: an unknown service key and a bad depends_on condition.
    const broken = JSON.parse(JSON.stringify(compose)) as { services: Record<string, Record<string, unknown>> };
    broken.services['gateway'] = { ...broken.services['gateway'], restart_policy: 'always' };
    broken.services['start'] = { ...broken.services['start'], depends_on: { init: { condition: 'done' } } };
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.length).toBeGreaterThanOrEqual(2);
  });

  it('is interpolated the way compose does it, from docker/.env', () => {
    expect(interpolate('a $$b ${X} ${Y:-d} ${Z-e} $X', { X: '1', Y: '' })).toBe('a $b 1 d e 1');
    expect(() => interpolate('${MISSING:?set it}', {})).toThrow('MISSING: set it');
    // Nothing is left for compose to ask for: every required variable has a value in docker/.env.
    expect(JSON.stringify(compose)).not.toMatch(/\$\{/);
  });

  it('runs Kafka (KRaft) and MySQL 8 with their data on volumes', () => {
    const kafka = services['kafka'];
    const kafkaEnv = serviceEnv(kafka ?? {});
    expect(kafka?.image).toMatch(/^apache\/kafka:/);
    expect(kafkaEnv['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(kafka?.volumes).toContain(`kafka-data:${kafkaEnv['KAFKA_LOG_DIRS']}`);
    expect(services['mysql']?.image).toMatch(/^mysql:8\./);
    expect(services['mysql']?.volumes).toContain('mysql-data:/var/lib/mysql');
  });

  it('replicates topics only as far as the brokers allow: one broker, one replica, min.insync.replicas 1', () => {
    const brokers = Object.values(services).filter((s) =>
      serviceEnv(s)['KAFKA_PROCESS_ROLES']?.split(',').includes('broker'),
    ).length;
    expect(brokers).toBe(1);
    const topics = servicesRunning('orchestrator', 'topics', 'create');
    expect(topics).toHaveLength(1);
    expect(runOf(topics[0] as string)?.args).toEqual([
      'topics',
      'create',
      `--replication-factor=${brokers}`,
      '--min-insync-replicas=1',
    ]);
    const kafkaEnv = serviceEnv(services['kafka'] ?? {});
    expect(Number(kafkaEnv['KAFKA_MIN_INSYNC_REPLICAS'])).toBeLessThanOrEqual(brokers);
    expect(Number(kafkaEnv['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR'])).toBeLessThanOrEqual(brokers);
  });

  it('gives MySQL its passwords as secrets, and the apps a MYSQL_URL with the same user and password', () => {
    const mysql = services['mysql'] ?? {};
    const env = serviceEnv(mysql);
    const granted = (mysql.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
    const secretValue = (file: string | undefined) => {
      const name = file?.replace(/^\/run\/secrets\//, '') ?? '';
      expect(granted).toContain(name);
      const variable = compose.secrets?.[name]?.environment;
      return variable === undefined ? undefined : composeDotenv()[variable];
    };
    expect(env['MYSQL_PASSWORD']).toBeUndefined();
    expect(env['MYSQL_ROOT_PASSWORD']).toBeUndefined();
    const password = secretValue(env['MYSQL_PASSWORD_FILE']);
    expect(secretValue(env['MYSQL_ROOT_PASSWORD_FILE'])).toEqual(expect.any(String));
    const urls = runs.flatMap((r) => (r.env['MYSQL_URL'] ? [new URL(r.env['MYSQL_URL'])] : []));
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(decodeURIComponent(url.username)).toBe(env['MYSQL_USER']);
      expect(decodeURIComponent(url.password)).toBe(password);
      expect(url.host).toBe('mysql:3306');
      expect(url.pathname).toBe(`/${env['MYSQL_DATABASE']}`);
    }
  });

  it('starts in order: topics after Kafka; shards and gateway after Kafka, MySQL and topics; init after the shards; start after init', () => {
    const [topics] = servicesRunning('orchestrator', 'topics', 'create');
    const [init] = servicesRunning('orchestrator', 'init');
    const [start] = servicesRunning('orchestrator', 'start');
    const engines = servicesRunning('matching-engine');
    expect(waitsFor(topics as string).get('kafka')).toBe('service_healthy');
    for (const name of [...engines, ...servicesRunning('gateway')]) {
      const waits = waitsFor(name);
      expect({
        name,
        kafka: waits.get('kafka'),
        mysql: waits.get('mysql'),
        topics: waits.get(topics as string),
      }).toEqual({
        name,
        kafka: 'service_healthy',
        mysql: 'service_healthy',
        topics: 'service_completed_successfully',
      });
    }
    const initWaits = waitsFor(init as string);
    for (const engine of engines) expect(initWaits.get(engine)).toBe('service_healthy');
    expect(initWaits.get(topics as string)).toBe('service_completed_successfully');
    expect(waitsFor(start as string).get(init as string)).toBe('service_completed_successfully');
  });

  it('waits only on what can say so: a healthcheck for service_healthy, a one-shot for service_completed_successfully', () => {
    for (const name of Object.keys(services))
      for (const [dep, condition] of Object.entries(dependsOn(services[name] ?? {}))) {
        const target = services[dep];
        expect({ name, dep, exists: target !== undefined }).toEqual({ name, dep, exists: true });
        if (condition === 'service_healthy')
          expect({ dep, test: target?.healthcheck?.test }).toEqual({ dep, test: expect.anything() });
        if (condition === 'service_completed_successfully')
          expect({ dep, restart: target?.restart }).toEqual({ dep, restart: 'no' });
        // A profile-less service must not wait for a service that only runs with a profile.
        if (!services[name]?.profiles)
          expect({ name, dep, profiles: target?.profiles }).toEqual({ name, dep, profiles: undefined });
      }
  });

  it('has a healthcheck on every long-running app service, and none on the one-shots', () => {
    for (const name of appServices) {
      const oneShot = services[name]?.restart === 'no';
      expect({ name, probes: runOf(name)?.probes.length }).toEqual({ name, probes: oneShot ? 0 : 1 });
    }
  });

  it('runs two shards, one per shard of the shard map, each with its own fixed SHARD_ID and NODE_ID', () => {
    const engines = servicesRunning('matching-engine').map((n) => runOf(n));
    const file = engines[0]?.files[engines[0]?.env['SHARD_MAP_FILE'] ?? ''];
    expect(file).toBe(readFileSync(rootPath('k8s/base/config/shard-map.json'), 'utf8'));
    const shardIds = parseShardMap(file as string, 'json').shards.map((s) => s.shardId);
    expect(shardIds).toHaveLength(2);
    expect(engines.map((r) => r?.env['SHARD_ID']).sort()).toEqual([...shardIds].sort());
    const nodeIds = engines.map((r) => r?.env['NODE_ID']);
    expect(new Set(nodeIds).size).toBe(engines.length);
  });

  it('builds every app service from docker/Dockerfile at the repo root, as one image, hardened', () => {
    const composeDir = path.dirname(rootPath(COMPOSE_FILE));
    const images = new Set<string | undefined>();
    for (const name of appServices) {
      const s = services[name];
      const build = s?.build as { context: string; dockerfile: string };
      expect(path.resolve(composeDir, build.context)).toBe(rootPath('.'));
      expect(readFileSync(path.resolve(composeDir, build.context, build.dockerfile), 'utf8')).toMatch(/^FROM /m);
      images.add(s?.image);
      expect({ name, read_only: s?.read_only, cap_drop: s?.cap_drop }).toEqual({
        name,
        read_only: true,
        cap_drop: ['ALL'],
      });
      expect(argv(s?.command)?.[0]).toBe('node');
    }
    expect(images.size).toBe(1);
  });
});
