/** One phase of the run: a topology and a way of sending orders. */
export interface PhaseSpec {
  /** Stable name, used in file names, topic and database names, --phases and the results. */
  id: string;
  /** Short aliases accepted by --phases. */
  aliases: readonly string[];
  title: string;
  shards: number;
  /** Orders per request: 1 → POST /v1/orders, more → POST /v1/orders/batch. */
  batchSize: number;
  writeBuffer: 'batched' | 'sync';
  /** Orders per second on a fixed schedule (latency CO-corrected); undefined: flat out. */
  rate?: number;
  /** Changes the topology (shard count, engine settings): only in a run that starts its own processes. */
  needsOwnStack: boolean;
  /** KAFKA_CLIENT of the gateway, the shards and the orchestrator the phase starts; undefined: the apps' default. */
  kafkaClient?: string;
}

/**
 * Each phase once per Kafka client, one client after the other within a phase (so the clients of one comparison
 * run minutes apart, not an hour); ids and titles name the client when there is more than one.
 */
export function perKafkaClient(phases: readonly PhaseSpec[], clients: readonly string[]): PhaseSpec[] {
  if (clients.length <= 1) return phases.map((p) => (clients[0] ? { ...p, kafkaClient: clients[0] } : p));
  return phases.flatMap((p) =>
    clients.map((c) => ({ ...p, id: `${p.id}-${c}`, title: `${p.title} [${c}]`, kafkaClient: c, needsOwnStack: true })),
  );
}

export const HEADLINE = '2-shards';

/**
 * The comparisons run in one session, each on its own database and topics: the headline (two shards, single
 * orders, flat out), then one change at a time against it — the batch endpoint, one shard, the per-row write buffer
 * — and, with --rate, the headline topology at a fixed rate.
 */
export function allPhases(batchSize: number, rate?: number): PhaseSpec[] {
  const phases: PhaseSpec[] = [
    {
      id: HEADLINE,
      aliases: ['1', 'headline', 'single'],
      title: '2 shards, single orders, flat out',
      shards: 2,
      batchSize: 1,
      writeBuffer: 'batched',
      needsOwnStack: false,
    },
    {
      id: '2-shards-batch',
      aliases: ['2', 'batch'],
      title: `2 shards, batch endpoint (${batchSize} per request), flat out`,
      shards: 2,
      batchSize,
      writeBuffer: 'batched',
      needsOwnStack: false,
    },
    {
      id: '1-shard',
      aliases: ['3', 'one-shard'],
      title: '1 shard, single orders, flat out',
      shards: 1,
      batchSize: 1,
      writeBuffer: 'batched',
      needsOwnStack: true,
    },
    {
      id: '2-shards-sync',
      aliases: ['4', 'sync'],
      title: '2 shards, single orders, per-row SyncWriteBuffer, flat out',
      shards: 2,
      batchSize: 1,
      writeBuffer: 'sync',
      needsOwnStack: true,
    },
  ];
  if (rate !== undefined)
    phases.push({
      id: '2-shards-rate',
      aliases: ['5', 'rate'],
      title: `2 shards, single orders at ${rate}/s (latency CO-corrected)`,
      shards: 2,
      batchSize: 1,
      writeBuffer: 'batched',
      rate,
      needsOwnStack: false,
    });
  return phases;
}

/**
 * The phases a --phases list picks (ids, aliases or 1-based numbers, comma-separated), in run order; all of them
 * when there is no list. An unknown name is an error that lists the known ones; `rate` needs --rate.
 */
export function selectPhases(filter: string | undefined, batchSize: number, rate?: number): PhaseSpec[] {
  const phases = allPhases(batchSize, rate);
  if (filter === undefined || filter.trim() === '') return phases;
  const wanted = new Set<string>();
  for (const raw of filter.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    const phase = phases.find((p) => p.id === name || p.aliases.includes(name));
    if (!phase) {
      if (rate === undefined && ['2-shards-rate', 'rate', '5'].includes(name))
        throw new Error(`the phase "${name}" runs at a fixed rate: give one with --rate <orders/s>`);
      throw new Error(
        `no phase "${name}"; the phases are ${phases.map((p) => `${p.id} (${p.aliases.join(', ')})`).join('; ')}`,
      );
    }
    wanted.add(phase.id);
  }
  return phases.filter((p) => wanted.has(p.id));
}
