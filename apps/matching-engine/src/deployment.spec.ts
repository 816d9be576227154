import { type AppRun, appRuns, recordingEnv, runFiles } from '@shardex/deploy-check';
import { Registry } from 'prom-client';
import { type EngineConfig, loadConfig } from './config';
import { createHttpServer } from './http';

// Every place docker/compose.yaml and k8s/ run a shard, fed to the engine's own config loader: a setting it refuses,
// or one it never reads, fails here rather than in a crash-looping container.
const { runs, skipped } = appRuns('matching-engine');
if (skipped) process.stderr.write(`\n*** ${skipped} ***\n\n`);

const load = (run: AppRun) => {
  const recorded = recordingEnv(run.env);
  return { config: loadConfig(recorded.env, runFiles(run)), recorded };
};

/** What the HTTP server of a process in `role` answers on `path`: its request handler, called without a socket. */
async function statusOf(role: 'standby' | 'active', path: string): Promise<number> {
  // A standby: no engine, its lease loop alive. The active one: RUNNING and caught up.
  const engine = { state: 'RUNNING', inputLag: async () => 0 };
  const node = { role, engine: role === 'active' ? engine : undefined, epoch: 1, liveness: () => ({ ok: true }) };
  const server = createHttpServer(node as unknown as Parameters<typeof createHttpServer>[0], new Registry());
  const handler = server.listeners('request')[0] as (req: unknown, res: unknown) => void;
  return new Promise<number>((resolve) => {
    let status = 0;
    const res = {
      writeHead(code: number) {
        status = code;
        return res;
      },
      end: () => resolve(status),
    };
    handler({ method: 'GET', url: path }, res);
  });
}

describe.each(runs.map((r) => [r.where, r] as const))('deployment: %s', (_where, run) => {
  const { config, recorded } = load(run);

  it('gives a configuration the engine accepts, every setting of which it reads', () => {
    expect(run.args).toEqual([]);
    expect(recorded.copied()).toBe(false);
    expect(run.setNames.filter((name) => !recorded.read.has(name))).toEqual([]);
  });

  it('names the process itself (NODE_ID), so that a restart reclaims its own lease at once', () => {
    expect(run.setNames).toContain('NODE_ID');
    expect(config.nodeId).not.toBe('');
  });

  it('serves /health and the probes on every interface, on the port the container declares', () => {
    expect(config.httpHost).toBe('0.0.0.0');
    expect(run.probes.length).toBeGreaterThan(0);
    for (const probe of run.probes) expect(probe.port).toBe(config.httpPort);
    if (run.source === 'k8s') expect(run.ports).toContain(config.httpPort);
  });

  it('probes only what a hot standby answers 200 (a standby is alive, never killed or held back for waiting)', async () => {
    for (const probe of run.probes) {
      expect(await statusOf('standby', probe.path)).toBe(200);
      expect(await statusOf('active', probe.path)).toBe(200);
    }
    // /ready is the active one's alone: a probe on it would keep every standby un-Ready for good.
    expect(await statusOf('standby', '/ready')).toBe(503);
  });

  it('is given time to finish its batch, snapshot and release the lease on SIGTERM', () => {
    expect(run.stopGraceSeconds ?? 0).toBeGreaterThanOrEqual(60);
  });
});

describe('deployment: the shards', () => {
  const configs = runs.map((r) => ({ run: r, config: load(r).config }));
  const sources = [...new Set(runs.map((r) => `${r.source}`))];

  it.each(sources)('%s runs every shard of its shard map, each under its own SHARD_ID', (source) => {
    const mine = configs.filter((c) => c.run.source === source);
    const shardMap = (mine[0]?.config as EngineConfig).shardMap;
    const owners = new Map<string, Set<string>>();
    for (const { run, config } of mine)
      owners.set(config.shardId, (owners.get(config.shardId) ?? new Set()).add(run.owner));
    expect([...owners.keys()].sort()).toEqual(shardMap.shards.map((s) => s.shardId).sort());
    // Compose: one service per shard. Kubernetes: one StatefulSet per shard (its two pods share the SHARD_ID).
    for (const set of owners.values()) expect(set.size).toBe(1);
    for (const { config } of mine) expect(config.shardMap.shards).toEqual(shardMap.shards);
  });
});
