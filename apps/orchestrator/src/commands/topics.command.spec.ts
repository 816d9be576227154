import type { TopicSpec } from '@shardex/kafka';
import { run } from '../cli';
import { captureIo } from '../testing/capture-io';

function setup(existing: string[] = [], fail?: Error, env: Record<string, string> = {}) {
  const asked: TopicSpec[][] = [];
  const clients: string[] = [];
  const cli = async (...argv: string[]) => {
    const io = captureIo();
    const code = await run(argv, io, {
      env: { KAFKA_BROKERS: 'k:9092', SHARD_COUNT: '2', ...env },
      createTopics: async (kafka, specs) => {
        asked.push([...specs]);
        clients.push(kafka.client);
        if (fail) throw fail;
        return {
          created: specs.filter((s) => !existing.includes(s.topic)).map((s) => s.topic),
          existing: specs.filter((s) => existing.includes(s.topic)).map((s) => s.topic),
        };
      },
    });
    return { code, out: io.outText, err: io.errText };
  };
  return { cli, asked, clients };
}

describe('topics create', () => {
  it('asks for every shard topic: one partition for input and preload, the settings on every topic', async () => {
    const { cli, asked } = setup(['shard-1-input']);
    const r = await cli(
      'topics',
      'create',
      '--partitions',
      '12',
      '--replication-factor',
      '3',
      '--retention-hours',
      '24',
    );
    expect(r.code).toBe(0);
    const specs = asked[0] ?? [];
    expect(specs.map((s) => `${s.topic}:${s.partitions}`)).toEqual([
      'shard-1-input:1',
      'shard-1-preload:1',
      'shard-1-output:12',
      'shard-1-dlq:1',
      'shard-2-input:1',
      'shard-2-preload:1',
      'shard-2-output:12',
      'shard-2-dlq:1',
    ]);
    expect(specs[0]).toMatchObject({
      replicationFactor: 3,
      exactPartitions: true,
      configEntries: { 'retention.ms': String(24 * 3_600_000), 'min.insync.replicas': '2' },
    });
    expect(r.out).toMatch(/shard-1-input\s+1\s+exists/);
    expect(r.out).toMatch(/shard-2-output\s+12\s+created/);
  });

  it('creates through the Kafka client KAFKA_CLIENT names, and refuses one it does not know (exit 2)', async () => {
    const chosen = setup([], undefined, { KAFKA_CLIENT: 'kafkajs' });
    expect((await chosen.cli('topics', 'create')).code).toBe(0);
    expect(chosen.clients).toEqual(['kafkajs']);
    const unknown = setup([], undefined, { KAFKA_CLIENT: 'rdkafka' });
    const r = await unknown.cli('topics', 'create');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/KAFKA_CLIENT must be one of/);
    expect(unknown.asked).toHaveLength(0);
  });

  it('refuses min.insync.replicas above the replication factor and malformed numbers (exit 2)', async () => {
    const { cli, asked } = setup();
    expect((await cli('topics', 'create', '--min-insync-replicas', '2')).code).toBe(2);
    expect((await cli('topics', 'create', '--partitions', 'six')).code).toBe(2);
    expect(asked).toHaveLength(0);
  });

  it('reports a topic that does not fit as a failure (exit 1)', async () => {
    const { cli } = setup([], new Error('shard-1-input has 3 partitions, exactly 1 required'));
    const r = await cli('topics', 'create', '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/exactly 1 required/);
  });
});
