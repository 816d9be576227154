import {
  Consumer,
  type ExtendedGroupProtocolSubscription,
  FetchIsolationLevels,
  type GroupAssignment,
  type GroupPartitionsAssignments,
} from '@platformatic/kafka';
import type { ClusterMetadata } from '@platformatic/kafka';
import type { BatchHandler, ConsumerStatus, KafkaConsumer, ResolvedConsumerOptions, RunHooks } from '../consumer';
import { KafkaAdapterError } from '../errors';
import { EXCLUSIVE_ASSIGNER, pickExclusiveMember } from '../exclusive';
import { adminQueries } from '../queries';
import { platformaticAdmin } from './admin';
import { committedRecords } from './records';
import { baseOptions } from './options';

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

const OFFSET_OUT_OF_RANGE = 1;

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The exclusive assignment in this client's terms: every partition of every subscribed topic to the member announcing
 * the highest priority in its protocol metadata (the same wire format as the kafkajs assigner, so both clients can
 * share a group during a migration).
 */
function exclusiveAssignment(
  _leader: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  topics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const decoded = [...members].map(([memberId, m]) => {
    const announced = Number(m.metadata ? Buffer.from(m.metadata).toString() : '');
    return { memberId, topics: m.topics ?? [...topics], priority: Number.isSafeInteger(announced) ? announced : -1 };
  });
  const winner = pickExclusiveMember(decoded);
  return decoded.map((m) => {
    const assignments = new Map<string, GroupAssignment>();
    if (m.memberId === winner?.memberId)
      for (const topic of m.topics) {
        const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
        assignments.set(topic, { topic, partitions: Array.from({ length: count }, (_, p) => p) });
      }
    return { memberId: m.memberId, assignments };
  });
}

/**
 * A group member on @platformatic/kafka with our own fetch loop. The client's message stream has no seek, no pause
 * of one topic, no batch (so no high watermark per batch) and goes on delivering a revoked partition's buffered
 * records; so the adapter keeps the positions itself and fetches with the client's `fetch`, while the client keeps
 * the membership (join, sync, heartbeats, rejoin after a rebalance). A batch is stale once the group has been
 * joined again or its partition was sought: its handler is told to stop, and what it returns moves nothing.
 */
export function platformaticConsumer({
  groupId,
  exclusivePriority,
  sessionTimeoutMs,
  heartbeatIntervalMs,
  rebalanceTimeoutMs,
  maxWaitTimeMs,
  maxBytesPerPartition,
  ...client
}: ResolvedConsumerOptions): KafkaConsumer {
  const admin = platformaticAdmin(client);
  const group = {
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    rebalanceTimeout: rebalanceTimeoutMs,
    ...(exclusivePriority !== undefined && {
      protocols: [{ name: EXCLUSIVE_ASSIGNER, version: 1, metadata: Buffer.from(String(exclusivePriority)) }],
      partitionAssigner: exclusiveAssignment,
    }),
  };
  const consumer = new Consumer({
    ...baseOptions(client),
    groupId,
    ...group,
    autocommit: false,
    maxWaitTime: maxWaitTimeMs,
    maxBytes: Math.max(maxBytesPerPartition, 1_048_576),
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const state: ConsumerStatus = { running: false, lastActivityAt: Date.now(), crashed: null };
  const alive = () => {
    state.lastActivityAt = Date.now();
  };
  let topics: string[] = [];
  /** Bumped on every join: a batch fetched under an older generation is stale. */
  let generation = 0;
  let assignment = new Map<string, number[]>();
  let applied = -1;
  const positions = new Map<string, bigint>();
  /** Bumped per partition by seek: a batch fetched before the seek is stale. */
  const seeks = new Map<string, number>();
  const paused = new Set<string>();
  let closing = false;
  let rounds = 0;
  /** The handler is running: disconnect() lets it finish rather than cut it off. */
  let inHandler = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /** Set when the client gave up rejoining (it emits 'error'): the loop joins again itself. */
  let membershipLost = false;
  /**
   * The group is rebalancing, or this member may no longer be in it: the client is rejoining (its heartbeat is off),
   * or no heartbeat got through for a session timeout (the broker has evicted us by now). A batch handled now is
   * stale, as kafkajs' heartbeat would have said with REBALANCE_IN_PROGRESS or UNKNOWN_MEMBER_ID.
   */
  const rebalancing = () =>
    membershipLost ||
    !consumer.isActive() ||
    (consumer.lastHeartbeat !== null && Date.now() - consumer.lastHeartbeat.getTime() > sessionTimeoutMs);

  consumer.on('consumer:group:join', (payload: { assignments: GroupAssignment[] | null }) => {
    membershipLost = false;
    generation++;
    assignment = new Map((payload.assignments ?? []).map((a) => [a.topic, [...a.partitions].sort((x, y) => x - y)]));
    alive();
    nudge();
  });
  // Liveness is the fetch loop's progress only: the client's heartbeats go on from their own timer while the loop
  // may be stuck, and a consumer that is alive must be one that delivers.
  // The client emits a failed rejoin as 'error' and then stops trying: the loop joins again (an EventEmitter without
  // an 'error' listener would throw instead).
  consumer.on('error', (err: Error) => {
    membershipLost = true;
    client.logger?.warn({ err, groupId }, 'kafka group membership lost; joining again');
    nudge();
  });

  /** Where each newly assigned partition starts: its committed offset, else the earliest retained one. */
  async function startPositions(): Promise<void> {
    const owned = new Set<string>();
    for (const [topic, partitions] of assignment) {
      const missing = partitions.filter((p) => !positions.has(key(topic, p)));
      for (const p of partitions) owned.add(key(topic, p));
      if (missing.length === 0) continue;
      const [committed, earliest] = await Promise.all([
        admin.groupOffsets(groupId, topic),
        admin.topicOffsets(topic).then((o) => new Map(o.map((x) => [x.partition, x.low]))),
      ]);
      for (const p of missing) {
        const c = BigInt(committed.get(p) ?? '-1');
        positions.set(key(topic, p), c >= 0n ? c : BigInt(earliest.get(p) ?? '0'));
      }
    }
    for (const k of [...positions.keys()]) if (!owned.has(k)) positions.delete(k);
  }

  async function fetchOnce(handler: BatchHandler): Promise<void> {
    let targets: Array<{ topic: string; partition: number }> = [];
    for (const [topic, partitions] of assignment)
      if (!paused.has(topic)) for (const partition of partitions) targets.push({ topic, partition });
    if (targets.length === 0) {
      await idle(maxWaitTimeMs);
      alive(); // nothing to fetch (all paused or nothing assigned) is a healthy state
      return;
    }
    // A different first partition each round: a response is bounded in bytes, and partitions asked for first would
    // otherwise take all of it while a backlog lasts.
    const start = rounds++ % targets.length;
    targets = [...targets.slice(start), ...targets.slice(0, start)];
    const meta = await consumer.metadata({ topics });
    const byNode = new Map<number, Array<{ topic: string; partition: number; topicId: string }>>();
    for (const t of targets) {
      const tm = meta.topics.get(t.topic);
      const leader = tm?.partitions[t.partition]?.leader;
      if (!tm || leader === undefined || leader < 0) continue;
      const list = byNode.get(leader) ?? [];
      list.push({ ...t, topicId: tm.id });
      byNode.set(leader, list);
    }
    if (byNode.size === 0) {
      consumer.clearMetadata();
      await idle(200);
      return;
    }
    for (const [node, parts] of byNode) {
      const fetchGeneration = generation;
      const requested = new Map<string, { offset: bigint; seek: number }>();
      const topicsById = new Map<string, string>();
      const request = new Map<string, { topicId: string; partitions: Array<Record<string, unknown>> }>();
      for (const p of parts) {
        const k = key(p.topic, p.partition);
        const offset = positions.get(k);
        if (offset === undefined) continue;
        requested.set(k, { offset, seek: seeks.get(k) ?? 0 });
        topicsById.set(p.topicId, p.topic);
        const entry = request.get(p.topicId) ?? { topicId: p.topicId, partitions: [] };
        entry.partitions.push({
          partition: p.partition,
          fetchOffset: offset,
          partitionMaxBytes: maxBytesPerPartition,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        });
        request.set(p.topicId, entry);
      }
      if (requested.size === 0) continue;
      let response: FetchResponse;
      try {
        response = await consumer.fetch({
          node,
          topics: [...request.values()] as never,
          maxWaitTime: maxWaitTimeMs,
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        });
      } catch (err) {
        // A partition-level error (an offset out of range) comes as an error carrying the whole response.
        const partial = (err as { response?: FetchResponse }).response;
        if (!partial || partial.errorCode !== 0) throw err;
        response = partial;
      }
      let partitionErrors = 0;
      for (const topicResponse of response.responses) {
        const topic = topicsById.get(topicResponse.topicId);
        if (!topic) continue;
        for (const pr of topicResponse.partitions) {
          const k = key(topic, pr.partitionIndex);
          const asked = requested.get(k);
          if (!asked) continue; // a partition an incremental fetch session returned unasked
          const current = () =>
            !closing &&
            !rebalancing() &&
            generation === fetchGeneration &&
            (seeks.get(k) ?? 0) === asked.seek &&
            positions.has(k);
          if (pr.errorCode === OFFSET_OUT_OF_RANGE) {
            // Fallen to retention (or past the end): like kafkajs, go on from the earliest retained offset; the next
            // batch's fetchedOffset tells the handler how far it jumped.
            const low =
              pr.logStartOffset >= 0n
                ? pr.logStartOffset
                : BigInt((await admin.topicOffsets(topic))[pr.partitionIndex]?.low ?? '0');
            if (current()) positions.set(k, low);
            continue;
          }
          if (pr.errorCode !== 0) {
            partitionErrors++;
            continue;
          }
          const { messages, next } = committedRecords(topic, pr, asked.offset);
          if (messages.length === 0) {
            // Only transaction markers or aborted records: step over them.
            if (current() && next > asked.offset) positions.set(k, next);
            continue;
          }
          if (!current()) continue;
          inHandler = true;
          const last = await handler(messages, {
            fetchedOffset: asked.offset.toString(),
            highWatermark: pr.highWatermark.toString(),
            shouldContinue: current,
            heartbeat: async () => {
              if (generation !== fetchGeneration || rebalancing())
                throw new KafkaAdapterError('KAFKA_ERR_NOT_CONNECTED', 'the group is rebalancing: stop this batch');
              alive();
            },
          }).finally(() => {
            inHandler = false;
          });
          alive();
          if (last === undefined || !current()) continue;
          // The handler's last offset; past the batch's trailing markers when it took everything.
          const resolved = BigInt(last) + 1n;
          positions.set(k, last === messages.at(-1)?.offset && next > resolved ? next : resolved);
        }
      }
      if (partitionErrors > 0) {
        // A leader moved, the topic is gone, or the broker refuses: ask for metadata again, after a pause, and let
        // liveness go stale if it lasts.
        consumer.clearMetadata();
        throw new KafkaAdapterError(
          'KAFKA_ERR_NOT_CONNECTED',
          `fetch from broker ${node}: ${partitionErrors} partition(s) answered with an error`,
        );
      }
      alive();
    }
  }

  async function consumeLoop(handler: BatchHandler, hooks: RunHooks): Promise<void> {
    let backoff = 100;
    while (!closing) {
      try {
        if (membershipLost) {
          await consumer.joinGroup(group);
          continue;
        }
        if (rebalancing()) {
          // The client is rejoining: nothing fetched now could be handled.
          await idle(100);
          continue;
        }
        if (applied !== generation) {
          const joined = generation;
          await startPositions();
          if (closing || joined !== generation) continue;
          applied = joined;
          hooks.onAssigned?.(Object.fromEntries(assignment));
        }
        await fetchOnce(handler);
        backoff = 100;
      } catch (err) {
        if (closing) break;
        // Like a kafkajs restart: report, wait, and apply the assignment again (onAssigned re-seeks) before fetching.
        hooks.onCrash?.(err as Error, true);
        applied = -1;
        await idle(backoff);
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }

  return {
    async connect() {
      await admin.connect();
      await consumer.metadata({ topics: [] });
    },
    async subscribe(list) {
      topics = [...new Set([...topics, ...list])];
      consumer.topics.trackAll(...list);
    },
    async run(handler, hooks = {}) {
      await consumer.joinGroup(group);
      state.running = true;
      alive();
      loop = consumeLoop(handler, hooks).finally(() => {
        state.running = false;
      });
    },
    seek(topic, partition, offset) {
      const k = key(topic, partition);
      positions.set(k, BigInt(offset));
      seeks.set(k, (seeks.get(k) ?? 0) + 1);
      nudge();
    },
    pause(topic) {
      paused.add(topic);
    },
    resume(topic) {
      paused.delete(topic);
      nudge();
    },
    async commit(topic, partition, nextOffset) {
      // A member commits only what it holds: a revoked partition's commit would move its new owner's position.
      if (rebalancing() || !(assignment.get(topic) ?? []).includes(partition))
        throw new KafkaAdapterError('KAFKA_ERR_NOT_CONNECTED', `${topic}/${partition} is not assigned to this member`);
      await consumer.commit({ offsets: [{ topic, partition, offset: BigInt(nextOffset), leaderEpoch: -1 }] });
    },
    ...adminQueries(admin, groupId),
    status: () => ({ ...state }),
    async disconnect() {
      closing = true;
      state.running = false;
      nudge();
      try {
        // A handler under way finishes (bounded); a fetch or a join in flight is cut off by closing the client.
        if (inHandler) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            loop?.catch(() => undefined),
            new Promise((resolve) => (timer = setTimeout(resolve, 30_000))),
          ]);
          clearTimeout(timer);
        }
        await consumer.close(true).catch(() => undefined);
        await loop?.catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
    },
  };
}
