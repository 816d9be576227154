import { appRuns, recordingEnv, runFiles } from '@shardex/deploy-check';
import { buildApp } from './app';
import { loadConfig } from './config';
import { fakeDeps, TEST_CONFIG } from './testing/fakes';

// Every place docker/compose.yaml and k8s/ run the gateway, fed to the gateway's own config loader: a setting it
// refuses, or one it never reads, fails here rather than in a crash-looping container.
const { runs, skipped } = appRuns('gateway');
if (skipped) process.stderr.write(`\n*** ${skipped} ***\n\n`);

describe.each(runs.map((r) => [r.where, r] as const))('deployment: %s', (_where, run) => {
  const recorded = recordingEnv(run.env);
  const config = loadConfig(recorded.env, runFiles(run));

  it('gives a configuration the gateway accepts, every setting of which it reads', () => {
    expect(run.args).toEqual([]);
    expect(recorded.copied()).toBe(false);
    expect(run.setNames.filter((name) => !recorded.read.has(name))).toEqual([]);
    expect(config.shardMap.shards.length).toBeGreaterThan(0);
  });

  it('listens on every interface, on the port the container declares and the probes use', () => {
    expect(config.host).toBe('0.0.0.0');
    expect(run.ports).toContain(config.port);
    expect(run.probes.length).toBeGreaterThan(0);
    for (const probe of run.probes) expect(probe.port).toBe(config.port);
  });

  it('probes paths the gateway serves: liveness and the health check on /health, readiness on /ready', async () => {
    const app = buildApp(TEST_CONFIG, fakeDeps());
    try {
      for (const probe of run.probes) {
        expect(probe.path).toBe(probe.kind === 'readiness' ? '/ready' : '/health');
        expect((await app.inject(probe.path)).statusCode).toBe(200);
      }
    } finally {
      await app.close();
    }
  });

  it('is given longer to stop than it takes to answer its in-flight orders (SHUTDOWN_GRACE_MS)', () => {
    expect(run.stopGraceSeconds).toBeDefined();
    expect((run.stopGraceSeconds ?? 0) * 1000).toBeGreaterThan(
      (run.preStopSeconds ?? 0) * 1000 + config.shutdownGraceMs,
    );
  });
});
