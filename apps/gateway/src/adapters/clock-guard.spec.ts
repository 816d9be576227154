import { createClockGuard } from './clock-guard';

describe('clock guard', () => {
  it('refuses orders until the clock was checked, and while it is off by more than maxSkewMs', async () => {
    let local = 1_000_000;
    let reference = 1_000_000;
    const guard = createClockGuard({ referenceNow: async () => reference, now: () => local, maxSkewMs: 5_000 });
    expect(guard.refusal()).toMatch(/not checked/);
    expect(await guard.check()).toBe(0);
    expect(guard.refusal()).toBeNull();
    local += 6_000; // this gateway runs ahead
    expect(await guard.check()).toBe(-6_000);
    expect(guard.refusal()).toMatch(/6000 ms ahead of the database/);
    reference += 7_000;
    await guard.check();
    expect(guard.refusal()).toBeNull();
    reference += 5_001; // ... or behind
    await guard.check();
    expect(guard.refusal()).toMatch(/behind/);
  });

  it('measures at the middle of the round trip', async () => {
    let local = 0;
    const guard = createClockGuard({
      now: () => local,
      referenceNow: async () => {
        local += 100; // a 100 ms round trip; the server read its clock half way
        return 50;
      },
    });
    expect(await guard.check()).toBe(0);
  });
});
