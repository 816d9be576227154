import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBrokerDir, sweepEphemeralKafka } from './ephemeral-kafka';
import { createMariaDbDir, sweepEphemeralMariaDb } from './ephemeral-mariadb';
import { ephemeralKafkaPaths, ephemeralMariaDbPaths, ephemeralRoot } from './paths';
import { canListen, ephemeralPortRange, freeLoopbackPorts } from './ports';
import { isAlive, killPid, processStartTime } from './proc';
import { PROFILES } from './profiles';

/**
 * A stand-in for a server: a long-running process whose argv holds `configArg`, as the broker's JVM holds its
 * server.properties and mariadbd its `--defaults-file=`. The sweep's decisions are about pids, argv and directories,
 * so no real server is needed to test them (ephemeral-mariadb.int-spec.ts sweeps a real one).
 */
function standIn(configArg: string): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', '--', configArg], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  if (child.pid === undefined) throw new Error('could not spawn a stand-in process');
  return child.pid;
}

/** The identity of a process that has exited: what the owner of a crashed test's broker looks like. */
async function deadProcess(): Promise<{ pid: number; startTime: number | undefined }> {
  const child = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const startTime = processStartTime(pid);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  await exited;
  return { pid, startTime };
}

describe('sweepEphemeralKafka', () => {
  let root: string;
  const spawned: number[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'shardex-infra-sweep-'));
  });

  afterAll(async () => {
    for (const pid of spawned) await killPid(pid);
    rmSync(root, { recursive: true, force: true });
  });

  /** A broker directory as startEphemeralKafka makes it, with a stand-in JVM recorded in its pid file. */
  async function broker(runId: string, owner?: { pid: number; startTime: number | undefined }, jvm = standIn) {
    const state = await createBrokerDir({ repoRoot: root, runId, heap: '512m', log: () => undefined, owner });
    const paths = ephemeralKafkaPaths(root, state.id);
    const pid = jvm(paths.kafka.props);
    spawned.push(pid);
    writeFileSync(paths.kafka.pidFile, String(pid));
    return { id: state.id, pid, dir: paths.dir, port: state.port, controllerPort: state.controllerPort };
  }

  it("kills and deletes the run's brokers and orphans, and leaves live owners' brokers of other runs alone", async () => {
    const ofRun = await broker('sweeprun');
    const ofLiveRun = await broker('liverun');
    const orphan = await broker('crashedrun', await deadProcess());
    // Its pid file names a live process that is not this broker (the pid was reused): it must survive the sweep.
    const stranger = standIn(path.join(root, 'not-a-broker.properties'));
    const reused = await broker('sweeprun', undefined, () => stranger);
    const incomplete = path.join(ephemeralRoot(root), 'sweeprun-half');
    mkdirSync(incomplete);

    // Ports are distinct across the checkout's brokers, stopped ones included.
    const ports = [ofRun, ofLiveRun, orphan, reused].flatMap((b) => [b.port, b.controllerPort]);
    expect(new Set(ports).size).toBe(ports.length);

    const swept = await sweepEphemeralKafka({ repoRoot: root, runId: 'sweeprun' });

    expect(
      swept.map(({ id, reason, killedPid }) => ({ id, reason, killedPid })).sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(
      [
        { id: ofRun.id, reason: 'run', killedPid: ofRun.pid },
        { id: orphan.id, reason: 'orphan', killedPid: orphan.pid },
        { id: reused.id, reason: 'run', killedPid: undefined },
        { id: 'sweeprun-half', reason: 'incomplete', killedPid: undefined },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(isAlive(ofRun.pid)).toBe(false);
    expect(isAlive(orphan.pid)).toBe(false);
    expect(isAlive(stranger)).toBe(true);
    for (const dir of [ofRun.dir, orphan.dir, ephemeralKafkaPaths(root, reused.id).dir, incomplete]) {
      expect(existsSync(dir)).toBe(false);
    }
    expect(isAlive(ofLiveRun.pid)).toBe(true);
    expect(existsSync(ofLiveRun.dir)).toBe(true);

    // Its run's own sweep takes the last one, and the ephemeral directory goes with it.
    expect((await sweepEphemeralKafka({ repoRoot: root, runId: 'liverun' })).map((s) => s.id)).toEqual([ofLiveRun.id]);
    expect(isAlive(ofLiveRun.pid)).toBe(false);
    expect(existsSync(ephemeralRoot(root))).toBe(false);
    expect(await sweepEphemeralKafka({ repoRoot: root })).toEqual([]);
  });
});

describe('sweepEphemeralMariaDb', () => {
  let root: string;
  const spawned: number[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'shardex-infra-sweep-'));
  });

  afterAll(async () => {
    for (const pid of spawned) await killPid(pid);
    rmSync(root, { recursive: true, force: true });
  });

  /** A server directory as startEphemeralMariaDb makes it, with a stand-in mariadbd recorded in its pid file. */
  async function server(runId: string, owner?: { pid: number; startTime: number | undefined }, mariadbd = standIn) {
    const state = await createMariaDbDir({ repoRoot: root, runId, log: () => undefined, owner });
    const paths = ephemeralMariaDbPaths(root, state.id);
    const pid = mariadbd(`--defaults-file=${paths.mysql.cnf}`);
    spawned.push(pid);
    writeFileSync(paths.mysql.pidFile, String(pid));
    return { id: state.id, pid, dir: paths.dir, port: state.port };
  }

  async function broker(runId: string, owner?: { pid: number; startTime: number | undefined }) {
    const state = await createBrokerDir({ repoRoot: root, runId, heap: '512m', log: () => undefined, owner });
    const paths = ephemeralKafkaPaths(root, state.id);
    const pid = standIn(paths.kafka.props);
    spawned.push(pid);
    writeFileSync(paths.kafka.pidFile, String(pid));
    return { id: state.id, pid, dir: paths.dir, ports: [state.port, state.controllerPort] };
  }

  it("kills and deletes the run's servers and orphans, and leaves live owners' servers and every broker alone", async () => {
    const ofRun = await server('sweeprun');
    const ofLiveRun = await server('liverun');
    const orphan = await server('crashedrun', await deadProcess());
    // Its pid file names a live process that is not this server (the pid was reused): it must survive the sweep.
    const stranger = standIn(`--defaults-file=${path.join(root, 'not-a-server.cnf')}`);
    const reused = await server('sweeprun', undefined, () => stranger);
    // A broker of the same run, and one whose owner is gone: only the Kafka sweep may touch them.
    const brokerOfRun = await broker('sweeprun');
    const orphanBroker = await broker('crashedrun', await deadProcess());

    // Ports are distinct across the checkout's servers of both kinds, stopped ones included.
    const ports = [
      ...[ofRun, ofLiveRun, orphan, reused].map((s) => s.port),
      ...brokerOfRun.ports,
      ...orphanBroker.ports,
    ];
    expect(new Set(ports).size).toBe(ports.length);

    // Each kind's sweep takes only its own kind: the Kafka sweep of the run leaves the run's servers and orphans.
    expect((await sweepEphemeralKafka({ repoRoot: root, runId: 'sweeprun' })).map((s) => s.id).sort()).toEqual(
      [brokerOfRun.id, orphanBroker.id].sort(),
    );
    for (const kept of [ofRun, orphan, reused, ofLiveRun]) expect(existsSync(kept.dir)).toBe(true);
    for (const kept of [ofRun, orphan, ofLiveRun]) expect(isAlive(kept.pid)).toBe(true);

    const swept = await sweepEphemeralMariaDb({ repoRoot: root, runId: 'sweeprun' });

    expect(
      swept.map(({ id, reason, killedPid }) => ({ id, reason, killedPid })).sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(
      [
        { id: ofRun.id, reason: 'run', killedPid: ofRun.pid },
        { id: orphan.id, reason: 'orphan', killedPid: orphan.pid },
        { id: reused.id, reason: 'run', killedPid: undefined },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(isAlive(ofRun.pid)).toBe(false);
    expect(isAlive(orphan.pid)).toBe(false);
    expect(isAlive(stranger)).toBe(true);
    for (const dir of [ofRun.dir, orphan.dir, reused.dir]) expect(existsSync(dir)).toBe(false);
    expect(isAlive(ofLiveRun.pid)).toBe(true);
    expect(existsSync(ofLiveRun.dir)).toBe(true);

    expect((await sweepEphemeralMariaDb({ repoRoot: root, runId: 'liverun' })).map((s) => s.id)).toEqual([
      ofLiveRun.id,
    ]);
    expect(isAlive(ofLiveRun.pid)).toBe(false);
    expect(existsSync(ephemeralRoot(root))).toBe(false);
  });
});

describe('freeLoopbackPorts', () => {
  it('hands out distinct, listenable ports below the ephemeral range, never the profiles’ or excluded ones', async () => {
    const [low] = ephemeralPortRange();
    const excluded = Array.from({ length: 2000 }, (_, i) => 10_000 + i);
    const ports = await freeLoopbackPorts(6, { exclude: excluded });
    expect(new Set(ports).size).toBe(6);
    const fixed = Object.values(PROFILES).flatMap((p) => [p.mysqlPort, p.kafkaPort, p.controllerPort]);
    for (const port of ports) {
      expect(port).toBeLessThan(low);
      expect(port).toBeGreaterThanOrEqual(12_000);
      expect(fixed).not.toContain(port);
      expect(await canListen(port)).toBe(true);
    }
  });
});
