import { type ClientRun, clientTable, median, summarizeClientRuns } from './kafka-clients-report';

const run = (client: string, round: number, producePerSec: number, broker?: number): ClientRun => ({
  client,
  round,
  produce: { perSec: producePerSec, cpuUsPerMsg: producePerSec / 1000, brokerCpuUsPerMsg: broker },
  consume: {
    perSec: 2 * producePerSec,
    perSecAfterFirst: 3 * producePerSec,
    cpuUsPerMsg: 1,
    brokerCpuUsPerMsg: broker,
  },
});

describe('kafka client bench report', () => {
  it('takes the median, so one disturbed round does not move a figure', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('summarizes per client in order of appearance, each over its own rounds', () => {
    const summary = summarizeClientRuns([
      run('kafkajs', 0, 1000, 5),
      run('platformatic', 0, 4000, 7),
      run('platformatic', 1, 100, 9),
      run('kafkajs', 1, 3000, 6),
      run('kafkajs', 2, 2000, 4),
      run('platformatic', 2, 2000, 8),
    ]);
    expect(summary.map((s) => [s.client, s.rounds, s.producePerSec, s.consumePerSecAfterFirst])).toEqual([
      ['kafkajs', 3, 2000, 6000],
      ['platformatic', 3, 2000, 6000],
    ]);
    expect(summary[0]?.produceBrokerCpuUsPerMsg).toBe(5);
    expect(summary[1]?.produceBrokerCpuUsPerMsg).toBe(8);
  });

  it('prints n/a for the broker when its CPU could not be read (not on this machine)', () => {
    const table = clientTable(summarizeClientRuns([run('kafkajs', 0, 1234)]));
    expect(table).toContain('| kafkajs | 1 | 1,234 | 1.2 / n/a | 2,468 / 3,702 | 1.0 / n/a |');
  });
});
