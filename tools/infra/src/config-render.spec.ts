import { kafkaJvmArgs, type KafkaNode, profileKafkaNode, renderKafkaProperties, renderServerProperties } from './kafka';
import { ephemeralMariaDbNode } from './ephemeral-mariadb';
import { profileMariaDbNode, renderInitSql, renderMariaDbCnf, renderMyCnf, socketPath } from './mariadb';
import { ephemeralKafkaPaths, ephemeralMariaDbPaths, infraPaths, kafkaJarPaths } from './paths';
import { getProfile, kafkaBrokers, loopbackMysqlUrl, mysqlUrl, PROFILES, resolveProfile } from './profiles';
import { INFRA_ERROR_CODES, InfraError } from './errors';

const props = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('['))
      .map((l) => l.split(/\s*=\s*/, 2) as [string, string]),
  );

describe('tools/infra profiles', () => {
  it('gives the two profiles disjoint ports, so both can run at once', () => {
    const ports = Object.values(PROFILES).flatMap((p) => [p.mysqlPort, p.kafkaPort, p.controllerPort]);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('rejects an unknown profile with a coded error', () => {
    expect(() => getProfile('prod')).toThrow(expect.objectContaining({ code: 'INFRA_ERR_CONFIG' }));
  });

  it('takes a profile object on other ports (for tests), but not one with clashing or invalid ports', () => {
    const moved = { ...PROFILES.test, mysqlPort: 11306, kafkaPort: 11092, controllerPort: 11093 };
    expect(resolveProfile(moved)).toEqual(moved);
    expect(resolveProfile('stack')).toBe(PROFILES.stack);
    for (const bad of [
      { ...moved, controllerPort: moved.kafkaPort },
      { ...moved, mysqlPort: 0 },
      { ...moved, kafkaPort: 70_000 },
      { ...moved, name: 'prod' as 'test' },
    ]) {
      expect(() => resolveProfile(bad)).toThrow(expect.objectContaining({ code: 'INFRA_ERR_CONFIG' }));
    }
  });

  it('publishes loopback addresses only', () => {
    for (const p of Object.values(PROFILES)) {
      expect(kafkaBrokers(p)).toEqual([`127.0.0.1:${p.kafkaPort}`]);
      expect(mysqlUrl(p)).toBe(`mysql://shardex:shardex@127.0.0.1:${p.mysqlPort}/`);
    }
  });
});

describe('MariaDB config', () => {
  const paths = (name: 'test' | 'stack') => infraPaths(getProfile(name), '/repo');

  it('keeps everything under the repo and binds to loopback', () => {
    const cnf = props(renderMyCnf(getProfile('test'), paths('test'), 'me'));
    expect(cnf['datadir']).toBe('/repo/.infra/test/mariadb/data');
    expect(cnf['bind-address']).toBe('127.0.0.1');
    expect(cnf['port']).toBe('13306');
    expect(cnf['user']).toBe('me');
  });

  it('test profile does no fsync; stack profile is durable', () => {
    const test = props(renderMyCnf(getProfile('test'), paths('test'), 'me'));
    expect(test).toMatchObject({
      innodb_flush_log_at_trx_commit: '0',
      innodb_flush_method: 'nosync',
      innodb_doublewrite: '0',
    });
    const stack = props(renderMyCnf(getProfile('stack'), paths('stack'), 'me'));
    expect(stack).toMatchObject({ innodb_flush_log_at_trx_commit: '1', innodb_doublewrite: '1' });
    expect(stack['innodb_flush_method']).toBeUndefined();
  });

  it("uses MySQL 8's strict sql_mode so SQL that passes locally runs there too", () => {
    const cnf = props(renderMyCnf(getProfile('stack'), paths('stack'), 'me'));
    expect(cnf['sql_mode']).toContain('ONLY_FULL_GROUP_BY');
    expect(cnf['sql_mode']).toContain('STRICT_TRANS_TABLES');
  });

  it('falls back to a short socket path when the checkout is deep', () => {
    const deep = infraPaths(getProfile('test'), `/${'d'.repeat(120)}`);
    expect(Buffer.byteLength(socketPath(deep.mysql))).toBeLessThanOrEqual(100);
    expect(socketPath(paths('test').mysql)).toBe('/repo/.infra/test/mariadb/mariadbd.sock');
  });

  it('creates the application user idempotently', () => {
    expect(renderInitSql()).toMatch(/CREATE USER IF NOT EXISTS 'shardex'@'127.0.0.1'/);
    expect(renderInitSql()).not.toMatch(/CREATE USER 'shardex'/);
  });
});

describe('Kafka config', () => {
  it('is single-node KRaft on loopback with auto topic creation off', () => {
    const p = props(renderServerProperties(getProfile('test'), infraPaths(getProfile('test'), '/repo')));
    expect(p).toMatchObject({
      'process.roles': 'broker,controller',
      listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19092',
      'controller.quorum.voters': '1@127.0.0.1:19093',
      'auto.create.topics.enable': 'false',
      'offsets.topic.replication.factor': '1',
      'log.dirs': '/repo/.infra/test/kafka/data',
    });
  });

  it('bounds data loss on the stack profile', () => {
    const p = props(renderServerProperties(getProfile('stack'), infraPaths(getProfile('stack'), '/repo')));
    expect(p['log.flush.interval.ms']).toBe('1000');
    expect(p['unclean.leader.election.enable']).toBe('false');
  });
});

describe('ephemeral broker config', () => {
  const repo = '/repo';
  const node: KafkaNode = {
    label: 'ephemeral broker ab12-0011aabb',
    durable: false,
    port: 21000,
    controllerPort: 21001,
    heap: '512m',
    files: ephemeralKafkaPaths(repo, 'ab12-0011aabb').kafka,
  };

  it("renders like the test profile's broker except for its ports and directory", () => {
    const test = props(renderServerProperties(getProfile('test'), infraPaths(getProfile('test'), repo)));
    const eph = props(renderKafkaProperties(node));
    expect(eph).toMatchObject({
      listeners: 'PLAINTEXT://127.0.0.1:21000,CONTROLLER://127.0.0.1:21001',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:21000',
      'controller.quorum.voters': '1@127.0.0.1:21001',
      'log.dirs': '/repo/.infra/ephemeral/ab12-0011aabb/data',
      'auto.create.topics.enable': 'false',
      'group.initial.rebalance.delay.ms': '0',
    });
    const differing = Object.keys({ ...test, ...eph }).filter((k) => test[k] !== eph[k]);
    expect(differing.sort()).toEqual(['advertised.listeners', 'controller.quorum.voters', 'listeners', 'log.dirs']);
  });

  it('runs the JVM with its own heap and the same two-core flags as the profiles', () => {
    const args = kafkaJvmArgs(node);
    expect(args).toEqual(
      expect.arrayContaining(['-Xms512m', '-Xmx512m', '-XX:CICompilerCount=2', '-XX:ParallelGCThreads=2']),
    );
    expect(args).toContain('-Dlog4j.configuration=file:/repo/.infra/ephemeral/ab12-0011aabb/log4j.properties');
    const testArgs = kafkaJvmArgs(profileKafkaNode(getProfile('test'), infraPaths(getProfile('test'), repo)));
    const flags = (a: string[]) => a.filter((x) => x.startsWith('-XX:'));
    expect(flags(args)).toEqual(flags(testArgs));
  });

  it('shares the jar cache with the profiles', () => {
    const profilePaths = infraPaths(getProfile('test'), repo, '/cache');
    expect(kafkaJarPaths(repo, '/cache')).toEqual({
      m2Repo: profilePaths.m2Repo,
      kafkaLibs: '/cache/kafka-libs',
      kafkaPom: '/repo/tools/infra/kafka/pom.xml',
    });
    expect(kafkaJarPaths(repo).kafkaLibs).toBe('/repo/.infra/cache/kafka-libs');
  });
});

describe('ephemeral MariaDB config', () => {
  const repo = '/repo';
  const id = 'ab12-0011aabb';
  const state = {
    version: 1,
    id,
    runId: 'ab12',
    port: 21306,
    owner: { pid: 1, startTime: undefined },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const node = ephemeralMariaDbNode(state, ephemeralMariaDbPaths(repo, id));

  it("renders like the test profile's server except for its port, files, size and durability", () => {
    const test = props(renderMyCnf(getProfile('test'), infraPaths(getProfile('test'), repo), 'me'));
    const eph = props(renderMariaDbCnf(node, 'me'));
    const dir = `/repo/.infra/ephemeral/${id}`;
    expect(eph).toMatchObject({
      datadir: `${dir}/data`,
      socket: `${dir}/mariadbd.sock`,
      'pid-file': `${dir}/mariadbd.pid`,
      'log-error': `${dir}/mariadb.log`,
      'init-file': `${dir}/init.sql`,
      'bind-address': '127.0.0.1',
      port: '21306',
      user: 'me',
      innodb_buffer_pool_size: '64M',
      innodb_log_file_size: '16M',
    });
    const differing = Object.keys({ ...test, ...eph }).filter((k) => test[k] !== eph[k]);
    expect(differing.sort()).toEqual(
      [
        'datadir',
        'init-file',
        'innodb_buffer_pool_size',
        'innodb_doublewrite',
        'innodb_flush_log_at_trx_commit',
        'innodb_flush_method',
        'innodb_log_file_size',
        'log-error',
        'pid-file',
        'port',
        'socket',
        'sync_frm',
      ].sort(),
    );
  });

  it("is as durable as the stack profile's server: a killed server keeps every committed row", () => {
    const stack = props(renderMyCnf(getProfile('stack'), infraPaths(getProfile('stack'), repo), 'me'));
    const eph = props(renderMariaDbCnf(node, 'me'));
    for (const key of ['innodb_flush_log_at_trx_commit', 'innodb_doublewrite', 'sync_frm', 'innodb_flush_method']) {
      expect([key, eph[key]]).toEqual([key, stack[key]]);
    }
    expect(eph['innodb_flush_log_at_trx_commit']).toBe('1');
  });

  it('keeps the profiles on their own sizes and the same grants for every server', () => {
    const test = profileMariaDbNode(getProfile('test'), infraPaths(getProfile('test'), repo));
    expect(test).toMatchObject({ port: 13306, innodbBufferPool: '512M', innodbLogFileSize: '256M', durable: false });
    expect(renderInitSql()).toMatch(/GRANT ALL PRIVILEGES ON \*\.\* TO 'shardex'@'127\.0\.0\.1' WITH GRANT OPTION;/);
    expect(loopbackMysqlUrl(node.port)).toBe('mysql://shardex:shardex@127.0.0.1:21306/');
  });
});

describe('infra errors', () => {
  it('documents every code it can throw', () => {
    for (const code of Object.keys(INFRA_ERROR_CODES)) {
      expect(INFRA_ERROR_CODES[code as keyof typeof INFRA_ERROR_CODES].length).toBeGreaterThan(10);
      expect(new InfraError(code as keyof typeof INFRA_ERROR_CODES, 'x').code).toBe(code);
    }
  });
});
