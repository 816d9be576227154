import { IS_CONTROL, IS_TRANSACTIONAL } from '@platformatic/kafka';
import { committedRecords, type FetchedPartition } from './records';

type Batch = NonNullable<FetchedPartition['records']>[number];

const data = (producerId: bigint, firstOffset: bigint, values: string[], transactional = true): Batch => ({
  firstOffset,
  lastOffsetDelta: values.length - 1,
  attributes: transactional ? IS_TRANSACTIONAL : 0,
  producerId,
  records: values.map((v, i) => ({
    offsetDelta: i,
    key: Buffer.from('k'),
    value: Buffer.from(v),
    headers: [[Buffer.from('h'), Buffer.from(v)]],
  })),
});

/** A transaction marker: key = int16 version 0, int16 type (0 abort, 1 commit). */
const marker = (producerId: bigint, offset: bigint, type: 'abort' | 'commit'): Batch => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type === 'abort' ? 0 : 1, 2);
  return {
    firstOffset: offset,
    lastOffsetDelta: 0,
    attributes: IS_TRANSACTIONAL | IS_CONTROL,
    producerId,
    records: [{ offsetDelta: 0, key, value: Buffer.alloc(6), headers: [] }],
  };
};

const values = (r: ReturnType<typeof committedRecords>) => r.messages.map((m) => `${m.offset}:${m.value?.toString()}`);

describe('committedRecords (read_committed over a fetched partition)', () => {
  it('skips both aborted transactions of one producer in one response, and every marker', () => {
    const P = 7n;
    const r = committedRecords(
      't',
      {
        partitionIndex: 0,
        abortedTransactions: [
          { producerId: P, firstOffset: 5n },
          { producerId: P, firstOffset: 2n },
        ],
        records: [
          data(P, 0n, ['c1']),
          marker(P, 1n, 'commit'),
          data(P, 2n, ['a1', 'a2']),
          marker(P, 4n, 'abort'),
          data(P, 5n, ['a3']),
          marker(P, 6n, 'abort'),
          data(P, 7n, ['c2']),
          marker(P, 8n, 'commit'),
        ],
      },
      0n,
    );
    expect(values(r)).toEqual(['0:c1', '7:c2']);
    expect(r.next).toBe(9n);
    expect(r.messages[0]).toMatchObject({ topic: 't', partition: 0, headers: { h: Buffer.from('c1') } });
  });

  it('aborts only the producer listed, while another producer’s interleaved records stay', () => {
    const r = committedRecords(
      't',
      {
        partitionIndex: 3,
        abortedTransactions: [{ producerId: 1n, firstOffset: 0n }],
        records: [
          data(1n, 0n, ['x1']),
          data(2n, 1n, ['y1']),
          data(9n, 2n, ['plain'], false),
          marker(1n, 3n, 'abort'),
          marker(2n, 4n, 'commit'),
          data(1n, 5n, ['x2']),
          marker(1n, 6n, 'commit'),
        ],
      },
      0n,
    );
    expect(values(r)).toEqual(['1:y1', '2:plain', '5:x2']);
    expect(r.next).toBe(7n);
  });

  it('leaves out what lies before the position, and steps over a response of markers only', () => {
    expect(
      values(committedRecords('t', { partitionIndex: 0, records: [data(1n, 10n, ['a', 'b', 'c'], false)] }, 11n)),
    ).toEqual(['11:b', '12:c']);
    const markers = committedRecords('t', { partitionIndex: 0, records: [marker(1n, 20n, 'commit')] }, 20n);
    expect(markers).toEqual({ messages: [], next: 21n });
    expect(committedRecords('t', { partitionIndex: 0, records: null }, 4n)).toEqual({ messages: [], next: 4n });
  });

  it('treats a transaction aborted from before the fetch position as aborted from the first batch on', () => {
    const r = committedRecords(
      't',
      {
        partitionIndex: 0,
        abortedTransactions: [{ producerId: 4n, firstOffset: 3n }],
        records: [data(4n, 6n, ['late-aborted']), marker(4n, 7n, 'abort'), data(4n, 8n, ['ok'])],
      },
      6n,
    );
    expect(values(r)).toEqual(['8:ok']);
  });
});
