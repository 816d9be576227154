import { OutcomeTracker } from './outcomes';

describe('outcome tracker', () => {
  it('measures accept→matched from the accepting answer to the first event, every order', () => {
    const t = new OutcomeTracker(10);
    t.startRecording();
    t.accept('a', 100);
    t.accept('b', 110);
    t.event('a', false, 130);
    t.event('b', false, 150);
    expect(t.matched.count).toBe(2);
    expect(t.matched.summary().maxMs).toBeCloseTo(40, 1);
    expect(t.outstanding.events).toBe(0);
  });

  it('records an event that beat its answer as 0 ms and counts it', () => {
    const t = new OutcomeTracker(1);
    t.startRecording();
    t.event('a', false, 95);
    t.accept('a', 100);
    expect(t.matched.count).toBe(1);
    expect(t.matched.negative).toBe(1);
    expect(t.outstanding.events).toBe(0);
  });

  it('follows one order in sampleEvery to its row, oldest first, until a poll finds it', () => {
    const t = new OutcomeTracker(3);
    t.startRecording();
    for (const [i, id] of ['a', 'b', 'c', 'd', 'e', 'f', 'g'].entries()) t.accept(id, 100 + i);
    expect(t.rowsToLookFor(10)).toEqual(['a', 'd', 'g']);
    expect(t.rowsToLookFor(2)).toEqual(['a', 'd']);
    t.rowsFound(['d', 'zzz'], 500);
    expect(t.persisted.count).toBe(1);
    expect(t.persisted.summary().p50Ms).toBeCloseTo(397, 0);
    expect(t.rowsToLookFor(10)).toEqual(['a', 'g']);
  });

  it('stops waiting for the row of a rejected order (rejected orders get none)', () => {
    const t = new OutcomeTracker(1);
    t.startRecording();
    t.accept('a', 100);
    t.event('a', true, 120);
    expect(t.rejected).toBe(1);
    expect(t.outstanding).toEqual({ events: 0, rows: 0 });
    t.event('b', true, 130); // before its answer
    t.accept('b', 140);
    expect(t.outstanding).toEqual({ events: 0, rows: 0 });
  });

  it('follows warm-up orders without counting them', () => {
    const t = new OutcomeTracker(1);
    t.accept('warm', 100);
    t.startRecording();
    t.event('warm', false, 200);
    t.rowsFound(['warm'], 300);
    expect(t.matched.count).toBe(0);
    expect(t.persisted.count).toBe(0);
    expect(t.outstanding).toEqual({ events: 0, rows: 0 });
  });

  it('forgets unclaimed events after a while', () => {
    const t = new OutcomeTracker(1);
    t.event('old', false, 0);
    t.prune(61_000);
    t.startRecording();
    t.accept('old', 70_000);
    expect(t.matched.count).toBe(0);
    expect(t.outstanding.events).toBe(1);
  });
});
