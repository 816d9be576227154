import { groupLag } from './group-lag';

describe('groupLag', () => {
  it('sums high watermark minus committed offset over the partitions', () => {
    expect(
      groupLag(
        new Map([
          [0, '10'],
          [1, '7'],
        ]),
        new Map([
          [0, '12'],
          [1, '7'],
        ]),
      ),
    ).toBe(2);
  });

  it('counts a partition the group never committed (-1 or absent) from its start', () => {
    expect(groupLag(new Map([[0, '-1']]), new Map([[0, '5']]))).toBe(5);
    expect(groupLag(new Map(), new Map([[0, 3]]))).toBe(3);
    expect(groupLag(new Map(), new Map())).toBe(0);
  });

  it('never goes negative when the watermark read raced ahead of a commit', () => {
    expect(groupLag(new Map([[0, '9']]), new Map([[0, '8']]))).toBe(0);
  });
});
