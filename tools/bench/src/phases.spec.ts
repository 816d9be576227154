import { HEADLINE, selectPhases } from './phases';

describe('phases', () => {
  it('runs the headline and the three comparisons by default, and the fixed rate only with a rate', () => {
    expect(selectPhases(undefined, 20).map((p) => p.id)).toEqual([
      HEADLINE,
      '2-shards-batch',
      '1-shard',
      '2-shards-sync',
    ]);
    expect(selectPhases(undefined, 20, 5_000).map((p) => p.id)).toContain('2-shards-rate');
  });

  it('changes one thing at a time against the headline', () => {
    const [head, batch, one, sync] = selectPhases(undefined, 20);
    expect(head).toMatchObject({ shards: 2, batchSize: 1, writeBuffer: 'batched' });
    expect(batch).toMatchObject({ shards: 2, batchSize: 20, writeBuffer: 'batched' });
    expect(one).toMatchObject({ shards: 1, batchSize: 1, writeBuffer: 'batched' });
    expect(sync).toMatchObject({ shards: 2, batchSize: 1, writeBuffer: 'sync' });
  });

  it('picks phases by id, alias or number, in run order', () => {
    expect(selectPhases('sync,1', 20).map((p) => p.id)).toEqual([HEADLINE, '2-shards-sync']);
    expect(selectPhases('batch, 1-shard', 20).map((p) => p.id)).toEqual(['2-shards-batch', '1-shard']);
    expect(selectPhases('rate', 20, 100)[0]).toMatchObject({ id: '2-shards-rate', rate: 100 });
  });

  it('names the known phases when one is unknown, and asks for a rate', () => {
    expect(() => selectPhases('nope', 20)).toThrow(/no phase "nope"; the phases are 2-shards/);
    expect(() => selectPhases('rate', 20)).toThrow(/--rate/);
  });
});
