import fc from 'fast-check';
import { type Decision, type ScheduledPreload, Sequencer, type Topic } from './sequencer';

// The total order of preload and input, as a pure function: recorded decisions are repeated whatever the order in
// which batches of either topic arrive; a topic is held exactly while it must wait.

describe('sequencer', () => {
  it('records a place for a preload message with no decision, at the current input position', () => {
    const s = new Sequencer({ preload: 0n, input: 7n });
    expect(s.decide('preload', 0n, false)).toEqual({ kind: 'record', input: 7n });
    s.recorded([{ preload: 0n, input: 7n }]);
    expect(s.decide('preload', 0n, false)).toEqual({ kind: 'apply' });
    s.applied('preload', 0n);
    expect(s.positions).toEqual({ preload: 1n, input: 7n });
  });

  it('repeats a recorded decision: input goes first up to the recorded position, then the preload message', () => {
    const s = new Sequencer({ preload: 3n, input: 10n }, [{ preload: 3n, input: 12n }]);
    expect(s.decide('preload', 3n, true)).toEqual({ kind: 'defer' });
    expect(s.pauses(true)).toEqual({ preload: true, input: false });
    expect(s.decide('input', 10n, true)).toEqual({ kind: 'apply' });
    s.applied('input', 10n);
    expect(s.decide('input', 11n, true)).toEqual({ kind: 'apply' });
    s.applied('input', 11n);
    // Now the preload message is due: input waits, preload goes.
    expect(s.decide('input', 12n, true)).toEqual({ kind: 'defer' });
    expect(s.pauses(true)).toEqual({ preload: false, input: true });
    expect(s.decide('preload', 3n, true)).toEqual({ kind: 'apply' });
    s.applied('preload', 3n);
    expect(s.pauses(true)).toEqual({ preload: false, input: false });
    expect(s.decide('input', 12n, true)).toEqual({ kind: 'apply' });
  });

  it('skips redeliveries, holds input while not RUNNING, and accepts offset gaps', () => {
    const s = new Sequencer({ preload: 5n, input: 5n });
    expect(s.decide('input', 4n, true)).toEqual({ kind: 'skip' });
    expect(s.decide('preload', 2n, true)).toEqual({ kind: 'skip' });
    expect(s.decide('input', 5n, false)).toEqual({ kind: 'defer' });
    expect(s.pauses(false)).toEqual({ preload: false, input: true });
    expect(s.decide('input', 9n, true)).toEqual({ kind: 'apply' }); // 5-8 are markers or aborted records
    s.applied('input', 9n);
    expect(s.positions.input).toBe(10n);
  });

  it('puts recorded preload messages whose input position fell to retention first, where the input now starts', () => {
    const gone: unknown[] = [];
    // Recorded at input 3 and 4; retention took input below 9 while the shard was down.
    const s = new Sequencer(
      { preload: 0n, input: 9n },
      [
        { preload: 0n, input: 3n },
        { preload: 1n, input: 4n },
      ],
      0n,
      (v) => gone.push(v),
    );
    expect(gone).toEqual([{ topic: 'input', from: 3n, to: 9n }]);
    expect(s.decide('input', 9n, true)).toEqual({ kind: 'defer' });
    expect(s.decide('preload', 0n, true)).toEqual({ kind: 'apply' });
    s.applied('preload', 0n);
    expect(s.decide('preload', 1n, true)).toEqual({ kind: 'apply' });
  });

  it('places no new preload message below the input frontier (events up to it may be out)', () => {
    const s = new Sequencer({ preload: 4n, input: 10n }, [], 13n);
    expect(s.decide('preload', 4n, true)).toEqual({ kind: 'defer' });
    expect(s.pauses(true)).toEqual({ preload: true, input: false });
    for (const o of [10n, 11n, 12n]) {
      expect(s.decide('input', o, true)).toEqual({ kind: 'apply' });
      s.applied('input', o);
    }
    expect(s.pauses(true)).toEqual({ preload: false, input: false });
    expect(s.decide('preload', 4n, true)).toEqual({ kind: 'record', input: 13n });
  });

  it('moves past recorded positions whose input messages are gone, and reports them', () => {
    const gone: unknown[] = [];
    const s = new Sequencer({ preload: 0n, input: 10n }, [{ preload: 0n, input: 20n }]);
    // Retention deleted 10-24 while the shard was down: the first message it sees is 25.
    expect(s.decide('input', 25n, true, (v) => gone.push(v))).toEqual({ kind: 'defer' });
    expect(gone).toEqual([{ topic: 'input', from: 10n, to: 20n }]);
    expect(s.decide('preload', 0n, true)).toEqual({ kind: 'apply' });
  });

  it('refuses a journal that does not match the topic, and out-of-order reports', () => {
    const s = new Sequencer({ preload: 0n, input: 0n }, [{ preload: 4n, input: 0n }]);
    expect(() => s.decide('preload', 2n, true)).toThrow(expect.objectContaining({ code: 'ENGINE_ERR_JOURNAL' }));
    const t = new Sequencer({ preload: 0n, input: 5n });
    expect(() => t.recorded([{ preload: 0n, input: 3n }])).toThrow(
      expect.objectContaining({ code: 'ENGINE_ERR_JOURNAL' }),
    );
    expect(() => t.applied('input', 1n)).toThrow(expect.objectContaining({ code: 'ENGINE_ERR_ORDER' }));
    expect(() => t.applied('preload', 1n)).toThrow(expect.objectContaining({ code: 'ENGINE_ERR_ORDER' }));
    t.recorded([{ preload: 1n, input: 5n }]);
    expect(() => t.recorded([{ preload: 1n, input: 6n }])).toThrow(
      expect.objectContaining({ code: 'ENGINE_ERR_JOURNAL' }),
    );
  });

  it('gives the same merged order under any arrival of batches, once the decisions are recorded', () => {
    // Two logs with gaps; a first run decides where each preload message goes, arbitrary deliveries repeat it.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 20, maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 20, maxLength: 200 }),
        (inputGaps, preloadGaps, firstRun, replay) => {
          const offsets = (gaps: number[]) => {
            let at = 0;
            return gaps.map((g) => (at += g + 1) - 1).map(BigInt);
          };
          const logs: Record<Topic, bigint[]> = { input: offsets(inputGaps), preload: offsets(preloadGaps) };
          const merge = (choices: number[], schedule: ScheduledPreload[]) => {
            const s = new Sequencer({ preload: 0n, input: 0n }, schedule);
            const cursor: Record<Topic, number> = { input: 0, preload: 0 };
            const order: string[] = [];
            const recorded: ScheduledPreload[] = [];
            for (let step = 0; order.length < logs.input.length + logs.preload.length && step < 10_000; step++) {
              const want = s.pauses(true);
              const open = (['input', 'preload'] as const).filter((t) => !want[t] && cursor[t] < logs[t].length);
              if (open.length === 0) throw new Error('stalled');
              const topic = open[(choices[step % choices.length] ?? 0) % open.length] as Topic;
              const offset = logs[topic][cursor[topic]] as bigint;
              const d: Decision = s.decide(topic, offset, true);
              if (d.kind === 'defer' || d.kind === 'skip') continue;
              if (d.kind === 'record') {
                s.recorded([{ preload: offset, input: d.input }]);
                recorded.push({ preload: offset, input: d.input });
              }
              s.applied(topic, offset);
              order.push(`${topic}:${offset}`);
              cursor[topic]++;
            }
            return { order, recorded };
          };
          const first = merge(firstRun, []);
          const again = merge(replay, first.recorded);
          expect(again.order).toEqual(first.order);
          expect(again.recorded).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
