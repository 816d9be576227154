/**
 * The group protocol of the exclusive assignment: every partition of the subscribed topics to the one member that
 * announces the highest priority (a shard's lease epoch) as its protocol metadata's user data. Each client's assigner
 * speaks it, so members on different clients can share a group.
 */
export const EXCLUSIVE_ASSIGNER = 'ShardexExclusive';

/** The member that reads everything: highest priority, then lowest member id (deterministic on every leader). */
export function pickExclusiveMember<M extends { memberId: string; priority: number }>(
  members: readonly M[],
): M | undefined {
  let best: M | undefined;
  for (const m of members) {
    if (!best || m.priority > best.priority || (m.priority === best.priority && m.memberId < best.memberId)) best = m;
  }
  return best;
}
