import { fixedRateSchedule, requestLatencyMs } from './schedule';

describe('fixed-rate schedule', () => {
  it('spaces intended send times evenly from the start', () => {
    const s = fixedRateSchedule(4_000, 1_000);
    expect(s.intendedAt(0)).toBe(1_000);
    expect(s.intendedAt(1)).toBeCloseTo(1_000.25, 9);
    expect(s.intendedAt(4_000)).toBeCloseTo(2_000, 9);
  });

  it('counts the requests due by a time, whether or not earlier ones were answered', () => {
    const s = fixedRateSchedule(1_000, 0);
    expect(s.dueBy(-1)).toBe(0);
    expect(s.dueBy(0)).toBe(1); // request 0 is due at the start
    expect(s.dueBy(9.5)).toBe(10);
    // A sender that was stuck for a second owes the whole second's requests at once, not one.
    expect(s.dueBy(1_009.5)).toBe(1_010);
    expect(s.dueBy(1_009.5, 500)).toBe(500);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => fixedRateSchedule(0, 0)).toThrow(RangeError);
    expect(() => fixedRateSchedule(Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('request latency', () => {
  it('counts from the intended time on a schedule (coordinated omission corrected)', () => {
    // Due at 100 ms, sent late at 900 ms because the gateway stalled, answered at 910 ms: 810 ms, not 10 ms.
    expect(requestLatencyMs(910, 900, 100)).toBe(810);
  });

  it('counts from the send in a closed loop', () => {
    expect(requestLatencyMs(910, 900)).toBe(10);
  });
});
