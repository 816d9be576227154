import { createShardMap } from '@shardex/order-router';
import { phaseShardMap } from './own-stack';

const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'ETH-BTC'];

describe('phase shard map', () => {
  it('splits the symbols as the stack does and names every topic after the run and phase', () => {
    const map = createShardMap(phaseShardMap(SYMBOLS, 2, 'bench-abc-2-shards'));
    expect(map.shards.map((s) => [s.shardId, s.symbols])).toEqual([
      ['shard-1', ['BTC-USDT', 'ETH-USDT']],
      ['shard-2', ['SOL-USDT', 'ETH-BTC']],
    ]);
    expect(map.shards[1]).toMatchObject({
      kafkaInputTopic: 'bench-abc-2-shards-shard-2-input',
      kafkaPreloadTopic: 'bench-abc-2-shards-shard-2-preload',
      kafkaOutputTopic: 'bench-abc-2-shards-shard-2-output',
      kafkaDlqTopic: 'bench-abc-2-shards-shard-2-dlq',
    });
  });

  it('puts every symbol on the one shard of a one-shard phase', () => {
    const map = createShardMap(phaseShardMap(SYMBOLS, 1, 'p'));
    expect(map.shards).toHaveLength(1);
    expect(map.shards[0]?.symbols).toEqual(SYMBOLS);
  });
});
