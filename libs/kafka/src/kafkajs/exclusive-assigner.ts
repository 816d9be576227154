import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { EXCLUSIVE_ASSIGNER, pickExclusiveMember } from '../exclusive';

/**
 * A group assignment that gives every partition of the subscribed topics to ONE member: the one announcing the
 * highest priority (a shard's lease epoch), ties going to the lowest member id. A shard's preload and input topics
 * must be read by the same process (kafkajs' round-robin would split them across members), and a fenced process
 * that has not left the group yet must lose to the one that took its lease.
 */
export function exclusiveAssigner(priority: number): PartitionAssigner {
  if (!Number.isSafeInteger(priority) || priority < 0)
    throw new RangeError(`priority must be a non-negative safe integer, got ${priority}`);
  return ({ cluster }) => ({
    name: EXCLUSIVE_ASSIGNER,
    version: 1,
    async assign({ members }) {
      const decoded = members.map((m) => {
        const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        const announced = Number(meta?.userData?.toString() ?? '');
        return {
          memberId: m.memberId,
          topics: meta?.topics ?? [],
          priority: Number.isSafeInteger(announced) ? announced : -1,
        };
      });
      const winner = pickExclusiveMember(decoded);
      return decoded.map((m) => {
        const assignment: Record<string, number[]> = {};
        if (m.memberId === winner?.memberId) {
          for (const topic of m.topics)
            assignment[topic] = cluster
              .findTopicPartitionMetadata(topic)
              .map((p) => p.partitionId)
              .sort((a, b) => a - b);
        }
        return {
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment,
            userData: Buffer.alloc(0),
          }),
        };
      });
    },
    protocol({ topics }) {
      return {
        name: EXCLUSIVE_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: Buffer.from(String(priority)),
        }),
      };
    },
  });
}
