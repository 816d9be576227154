import { run } from '../cli';
import { captureIo } from '../testing/capture-io';
import type { ShardStatus } from './status.command';

const running = (shardId: string, extra: Partial<ShardStatus> = {}): ShardStatus => ({
  shardId,
  state: 'RUNNING',
  symbols: ['BTC-USDT', 'ETH-USDT'],
  lastSeq: 1234,
  inputLag: 0,
  snapshot: { seq: 1200, ageMs: 42_000 },
  writer: { owner: `${shardId}-node`, live: true },
  lastError: null,
  ready: true,
  ...extra,
});

async function status(shards: ShardStatus[], ...argv: string[]) {
  const io = captureIo();
  const asked: unknown[] = [];
  const code = await run(['status', ...argv], io, {
    env: { KAFKA_BROKERS: 'k:9092', SHARD_COUNT: '2', CONSUMER_GROUP_PREFIX: 'prod' },
    readStatus: async (_fleet, options) => {
      asked.push(options);
      return { shards, complete: true };
    },
  });
  return { code, out: io.outText, err: io.errText, asked };
}

describe('status', () => {
  it('shows every shard and exits 0 when all run with a live writer', async () => {
    const r = await status([running('shard-1'), running('shard-2')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^SHARD\s+STATE\s+SYMBOLS\s+LAST SEQ\s+INPUT LAG\s+SNAPSHOT\s+WRITER\s+READY/);
    expect(r.out).toMatch(/shard-1\s+RUNNING\s+2\s+1234\s+0\s+seq 1200, 42s ago\s+shard-1-node\s+yes/);
    expect(r.asked).toEqual([{ groupPrefix: 'prod', tail: 5000 }]); // no MySQL URL: snapshots and leases skipped
  });

  it('exits 1 naming the shards that are not ready, with their last error', async () => {
    const r = await status([
      running('shard-1'),
      running('shard-2', {
        state: 'INITIALIZED',
        ready: false,
        writer: { owner: 'n2', live: false },
        lastError: 'INVALID_STATE: START_ENGINE before INITIALIZE_ENGINE',
      }),
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/shard-2\s+INITIALIZED.*n2 \(expired\)\s+no\s+INVALID_STATE: START_ENGINE/);
    expect(r.err).toMatch(/1 of 2 shard\(s\) not ready: shard-2 INITIALIZED/);
  });

  it('prints JSON, and refuses a bad --tail (exit 2)', async () => {
    const r = await status([running('shard-1')], '--json', '--tail', '100');
    expect(JSON.parse(r.out)).toEqual({ shards: [running('shard-1')], complete: true });
    expect(r.asked).toEqual([{ groupPrefix: 'prod', tail: 100 }]);
    expect((await status([], '--tail', 'all')).code).toBe(2);
  });
});
