import type { TopicSpec } from '@shardex/kafka';
import { type AppRun, appRuns, recordingEnv, runFiles } from '@shardex/deploy-check';
import { type CliDeps, run } from './cli';
import { captureIo } from './testing/capture-io';

// Every place docker/compose.yaml and k8s/ run the orchestrator (topics create, init, start), through the real CLI
// with its Kafka and MySQL seams replaced: a flag it does not know, a file that is not mounted, an instruments file
// it refuses or a setting it never reads fails here rather than in a failing Job.
const { runs, skipped } = appRuns('orchestrator');
if (skipped) process.stderr.write(`\n*** ${skipped} ***\n\n`);

interface Recorded {
  topics?: readonly TopicSpec[];
  opened?: { wait: boolean; mysqlUrl?: string };
  published?: Array<{ symbol: string; shardId: string }>;
  shards?: string[];
}

async function execute(r: AppRun) {
  const io = captureIo();
  const recorded: Recorded = {};
  const env = recordingEnv(r.env);
  const deps: CliDeps = {
    env: env.env,
    readFile: runFiles(r),
    createTopics: async (_brokers, specs) => {
      recorded.topics = specs;
      return { created: specs.map((s) => s.topic), existing: [] };
    },
    openLifecycle: async (fleet, options) => {
      recorded.opened = options;
      recorded.shards = fleet.shardMap.shards.map((s) => s.shardId);
      return {
        producer: { send: async () => undefined },
        publishInstruments: async (assignments) => {
          recorded.published = assignments.map((a) => ({ symbol: a.spec.symbol, shardId: a.shardId }));
          return { version: 1 };
        },
        close: async () => undefined,
      };
    },
    openKeyStore: () => Promise.reject(new Error('no deployment manages API keys')),
    readStatus: () => Promise.reject(new Error('no deployment reads the status')),
  };
  const code = await run(r.args, io, deps);
  return { code, io, recorded, env };
}

describe.each(runs.map((r) => [`${r.where}: ${r.args.join(' ')}`, r] as const))('deployment: %s', (_where, r) => {
  it('is a command the CLI accepts, with settings it reads', async () => {
    const { code, io, env } = await execute(r);
    expect({ code, err: io.errText }).toEqual({ code: 0, err: expect.any(String) });
    expect(env.copied()).toBe(false);
    expect(r.setNames.filter((name) => !env.read.has(name))).toEqual([]);
  });

  if (r.args[0] === 'topics') {
    it('replicates every topic as the platform allows (3 replicas, 2 in sync on Kubernetes; 1 on one broker)', async () => {
      const { recorded } = await execute(r);
      const [replicationFactor, minInsync] = r.source === 'k8s' ? [3, 2] : [1, 1];
      expect(recorded.topics?.length).toBeGreaterThan(0);
      for (const t of recorded.topics ?? []) {
        expect(t.replicationFactor).toBe(replicationFactor);
        expect(t.configEntries?.['min.insync.replicas']).toBe(String(minInsync));
      }
    });
  }

  if (r.args[0] === 'init') {
    it('gives every shard some of the instruments, stores them all, and waits for the shards', async () => {
      const { recorded } = await execute(r);
      expect(recorded.opened).toEqual({ wait: true, mysqlUrl: r.env['MYSQL_URL'] });
      const byShard = new Set(recorded.published?.map((p) => p.shardId));
      expect([...byShard].sort()).toEqual([...(recorded.shards ?? [])].sort());
      expect(recorded.published?.length).toBeGreaterThan(byShard.size);
    });
  }

  if (r.args[0] === 'start') {
    it('waits until every shard reports RUNNING', async () => {
      const { recorded } = await execute(r);
      expect(recorded.opened?.wait).toBe(true);
    });
  }
});

describe('deployment: the bootstrap sequence', () => {
  it.each([...new Set(runs.map((r) => r.source))])('%s runs topics create, init and start', (source) => {
    const commands = runs.filter((r) => r.source === source).map((r) => r.args[0]);
    expect(commands).toEqual(expect.arrayContaining(['topics', 'init', 'start']));
  });
});
