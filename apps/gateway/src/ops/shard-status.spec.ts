import type { ShardHealth } from '@shardex/db';
import { createShardStatusReader } from './shard-status';

const T0 = 1_700_000_000_000;
const activity = () => [
  { shardId: 'shard-1', state: 'RUNNING' as const, symbols: ['A-USD'], lastSeq: 40, commandsPerSecond: 2 },
  { shardId: 'shard-2', state: 'STOPPED' as const, symbols: ['B-USD'], lastSeq: 7, commandsPerSecond: 0 },
];
const health = async (shardId: string): Promise<ShardHealth> => ({
  snapshot: { seq: shardId === 'shard-1' ? 30 : 5, takenAt: T0 - 4_000 },
  lease: { owner: `${shardId}-a`, epoch: 1, expiresAt: T0 + 5_000, live: true },
});

describe('shard status', () => {
  it('joins the output topics, MySQL and the consumer groups per shard; ready is RUNNING with a live writer', async () => {
    const reader = createShardStatusReader({
      activity,
      health,
      inputLag: async (id) => (id === 'shard-1' ? 3 : 0),
      now: () => T0,
    });
    expect(await reader.read()).toEqual([
      {
        ...activity()[0],
        inputLag: 3,
        snapshot: { seq: 30, ageMs: 4_000 },
        writer: { owner: 'shard-1-a', live: true },
        ready: true,
        problems: [],
      },
      {
        ...activity()[1],
        inputLag: 0,
        snapshot: { seq: 5, ageMs: 4_000 },
        writer: { owner: 'shard-2-a', live: true },
        ready: false,
        problems: [],
      },
    ]);
  });

  it('leaves what a failing source feeds null, says why, and is not ready without a known writer', async () => {
    const reader = createShardStatusReader({
      activity,
      health: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      inputLag: async () => {
        throw new Error('broker down');
      },
      now: () => T0,
    });
    const [one] = await reader.read();
    expect(one).toMatchObject({
      inputLag: null,
      snapshot: null,
      writer: null,
      ready: false,
      problems: ['MySQL: connect ECONNREFUSED', 'Kafka: broker down'],
    });
  });

  it('shares one read among the callers within the cache period', async () => {
    let now = T0;
    let reads = 0;
    const reader = createShardStatusReader({
      activity,
      health: async (id) => (reads++, health(id)),
      inputLag: async () => 0,
      now: () => now,
      cacheMs: 1_000,
    });
    await Promise.all([reader.read(), reader.read()]);
    now += 999;
    await reader.read();
    expect(reads).toBe(2);
    now += 1;
    await reader.read();
    expect(reads).toBe(4);
  });

  it('answers while a source hangs, naming it', async () => {
    const reader = createShardStatusReader({
      activity,
      health,
      inputLag: () => new Promise<number>(() => undefined),
      now: () => T0,
      timeoutMs: 20,
    });
    const [one] = await reader.read();
    expect(one).toMatchObject({ inputLag: null, ready: true, problems: ['Kafka: no answer within 20 ms'] });
  });
});
