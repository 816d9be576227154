import { AssignerProtocol, type Cluster, type Logger } from 'kafkajs';
import { pickExclusiveMember } from '../exclusive';
import { exclusiveAssigner } from './exclusive-assigner';

const member = (memberId: string, priority: number | string, topics = ['s-preload', 's-input']) => ({
  memberId,
  memberMetadata: AssignerProtocol.MemberMetadata.encode({
    version: 1,
    topics,
    userData: Buffer.from(String(priority)),
  }),
});

// A structural stand-in for the one cluster call the assigner makes.
const cluster = {
  findTopicPartitionMetadata: (topic: string) =>
    (topic === 's-output' ? [2, 0, 1] : [0]).map((partitionId) => ({ partitionId })),
} as unknown as Cluster;

async function assign(members: Array<ReturnType<typeof member>>) {
  const assigner = exclusiveAssigner(1)({ cluster, groupId: 'g', logger: {} as Logger });
  const out = await assigner.assign({ members, topics: [] });
  return Object.fromEntries(
    out.map((a) => [a.memberId, AssignerProtocol.MemberAssignment.decode(a.memberAssignment)?.assignment]),
  );
}

describe('exclusive assigner', () => {
  it('gives every partition of its topics to the member with the highest epoch, and nothing to the others', async () => {
    expect(await assign([member('m-a', 3), member('m-b', 7), member('m-c', 5)])).toEqual({
      'm-a': {},
      'm-b': { 's-preload': [0], 's-input': [0] },
      'm-c': {},
    });
  });

  it('breaks ties by the lowest member id and ranks unreadable priorities last', async () => {
    expect(await assign([member('m-b', 4), member('m-a', 4), member('m-0', 'junk')])).toEqual({
      'm-a': { 's-preload': [0], 's-input': [0] },
      'm-b': {},
      'm-0': {},
    });
    expect(pickExclusiveMember([])).toBeUndefined();
  });

  it('assigns the winner only the topics it subscribed to, all partitions in order', async () => {
    const out = await assign([member('m-a', 1, ['s-output']), member('m-b', 0, ['other-input'])]);
    expect(out).toEqual({ 'm-a': { 's-output': [0, 1, 2] }, 'm-b': {} });
  });

  it('announces its priority in the group protocol', () => {
    const assigner = exclusiveAssigner(42)({ cluster, groupId: 'g', logger: {} as Logger });
    const meta = AssignerProtocol.MemberMetadata.decode(assigner.protocol({ topics: ['t'] }).metadata);
    expect(meta?.userData.toString()).toBe('42');
    expect(() => exclusiveAssigner(-1)).toThrow(RangeError);
  });
});
