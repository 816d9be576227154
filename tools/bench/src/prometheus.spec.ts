import { metricValue, parsePrometheus } from './prometheus';

const TEXT = `# HELP shardex_engine_commands_total Commands applied to the order book.
# TYPE shardex_engine_commands_total counter
shardex_engine_commands_total{shard="shard-1"} 1234
shardex_engine_consumer_lag{shard="shard-1"} 0
shardex_write_buffer_rows_written{shard="shard-1"} 5.5e3
shardex_engine_state{shard="shard-1",state="RUNNING"} 1
shardex_engine_state{shard="shard-1",state="NEW"} 0
weird{path="a\\"b"} +Inf
`;

describe('prometheus text', () => {
  const samples = parsePrometheus(TEXT);

  it('reads names, labels and values, skipping comments', () => {
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({ name: 'shardex_engine_commands_total', labels: { shard: 'shard-1' }, value: 1234 });
    expect(samples.find((s) => s.name === 'weird')).toEqual({
      name: 'weird',
      labels: { path: 'a"b' },
      value: Infinity,
    });
  });

  it('sums the samples of a metric that match the labels given', () => {
    expect(metricValue(samples, 'shardex_write_buffer_rows_written')).toBe(5_500);
    expect(metricValue(samples, 'shardex_engine_state', { state: 'RUNNING' })).toBe(1);
    expect(metricValue(samples, 'shardex_engine_state')).toBe(1);
    expect(metricValue(samples, 'absent')).toBeNaN();
  });
});
