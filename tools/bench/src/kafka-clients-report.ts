/** One client's figures in one round of `npm run bench:kafka`. */
export interface ClientRun {
  client: string;
  round: number;
  produce: { perSec: number; cpuUsPerMsg: number; brokerCpuUsPerMsg: number | undefined };
  consume: {
    /** From run() (joining the group included) to the last record. */
    perSec: number;
    /** From the first record to the last. */
    perSecAfterFirst: number;
    cpuUsPerMsg: number;
    brokerCpuUsPerMsg: number | undefined;
  };
}

export interface ClientSummary {
  client: string;
  rounds: number;
  producePerSec: number;
  produceCpuUsPerMsg: number;
  produceBrokerCpuUsPerMsg: number | undefined;
  consumePerSec: number;
  consumePerSecAfterFirst: number;
  consumeCpuUsPerMsg: number;
  consumeBrokerCpuUsPerMsg: number | undefined;
}

/** The median (of the rounds: one slow round from a noisy neighbour does not move it). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const medianOf = (xs: Array<number | undefined>): number | undefined =>
  xs.every((x) => x !== undefined) ? median(xs as number[]) : undefined;

/** Per client, in the order they first appear: the median of each figure over its rounds. */
export function summarizeClientRuns(runs: readonly ClientRun[]): ClientSummary[] {
  const clients = [...new Set(runs.map((r) => r.client))];
  return clients.map((client) => {
    const mine = runs.filter((r) => r.client === client);
    return {
      client,
      rounds: mine.length,
      producePerSec: median(mine.map((r) => r.produce.perSec)),
      produceCpuUsPerMsg: median(mine.map((r) => r.produce.cpuUsPerMsg)),
      produceBrokerCpuUsPerMsg: medianOf(mine.map((r) => r.produce.brokerCpuUsPerMsg)),
      consumePerSec: median(mine.map((r) => r.consume.perSec)),
      consumePerSecAfterFirst: median(mine.map((r) => r.consume.perSecAfterFirst)),
      consumeCpuUsPerMsg: median(mine.map((r) => r.consume.cpuUsPerMsg)),
      consumeBrokerCpuUsPerMsg: medianOf(mine.map((r) => r.consume.brokerCpuUsPerMsg)),
    };
  });
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const us = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(1));

/** The markdown table BENCHMARKS.md quotes. */
export function clientTable(summary: readonly ClientSummary[]): string {
  return [
    '| client | rounds | produce msgs/s | produce CPU µs/msg (client / broker) | consume msgs/s (incl. join / after first) | consume CPU µs/msg (client / broker) |',
    '|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.client} | ${s.rounds} | ${n0(s.producePerSec)} | ${us(s.produceCpuUsPerMsg)} / ${us(s.produceBrokerCpuUsPerMsg)} | ${n0(s.consumePerSec)} / ${n0(s.consumePerSecAfterFirst)} | ${us(s.consumeCpuUsPerMsg)} / ${us(s.consumeBrokerCpuUsPerMsg)} |`,
    ),
  ].join('\n');
}
