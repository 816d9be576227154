import { EngineError } from './errors';

/**
 * The shard's one total order of input. Orders come from the input topic and lifecycle commands from the preload
 * topic; Kafka orders each topic, but nothing orders the two against each other, and kafkajs hands over batches
 * of either as they arrive. Every preload message can change the engine's output (an ENGINE_STATE or a rejection
 * takes a sequence number; START and STOP open and close the input), so where it falls among the input messages
 * is decided once — "after every input offset below P" — recorded durably before it takes effect (the preload
 * journal), and on replay only repeated. With that, the merged order is a pure function of the two logs and the
 * journal, and a replay from any snapshot gives the same events, byte for byte.
 *
 * One more thing is recorded: the input frontier, how far input has been applied with its events let out to
 * Kafka (the engine records it, fenced, before it sends them). Below it, events may already be out, so a replay
 * must reach it before it places any new preload message: placing one lower would shift the sequence numbers of
 * events that are already out.
 *
 * Pure: no I/O. The engine asks `decide` for each message it is handed and reports what it applied.
 */

/** A recorded decision: the preload message at `preload` goes after every input message below `input`. */
export interface ScheduledPreload {
  preload: bigint;
  input: bigint;
}

export type Topic = 'preload' | 'input';

export type Decision =
  /** Behind the position: applied before (a redelivery). */
  | { kind: 'skip' }
  /** Not yet: seek the topic back to this offset; `pauses()` now holds it until its turn. */
  | { kind: 'defer' }
  /** Apply it now. */
  | { kind: 'apply' }
  /** A preload message with no recorded position: record "at input position `input`" first, then apply it. */
  | { kind: 'record'; input: bigint };

/** Next offsets to apply: exactly what a snapshot stores. */
export interface Positions {
  preload: bigint;
  input: bigint;
}

export interface Vanished {
  topic: Topic;
  /** The offsets [from, to) that should have been there (deleted by retention, say) and were skipped. */
  from: bigint;
  to: bigint;
}

export class Sequencer {
  private pos: Positions;
  private readonly schedule: ScheduledPreload[];

  /**
   * `frontier`: the recorded input frontier (0 when none). `onVanished` hears of recorded positions that input
   * below the start position can no longer reach (retention deleted it while the shard was down).
   */
  constructor(
    positions: Positions,
    schedule: readonly ScheduledPreload[] = [],
    private readonly frontier = 0n,
    onVanished?: (v: Vanished) => void,
  ) {
    this.pos = { ...positions };
    this.schedule = schedule
      .map((e) => ({ ...e }))
      .sort((a, b) => (a.preload < b.preload ? -1 : a.preload > b.preload ? 1 : 0));
    // Decisions for offsets already applied are history; the snapshot covers them.
    while (this.schedule[0] && this.schedule[0].preload < this.pos.preload) this.schedule.shift();
    // Recorded below the start position (the input before them is gone): they go first, in order, right here.
    const stale = this.schedule.filter((e) => e.input < this.pos.input);
    if (stale[0]) onVanished?.({ topic: 'input', from: stale[0].input, to: this.pos.input });
    for (const e of stale) e.input = this.pos.input;
  }

  get positions(): Positions {
    return { ...this.pos };
  }

  /** Recorded decisions not applied yet, oldest first. */
  get pending(): readonly ScheduledPreload[] {
    return this.schedule;
  }

  /**
   * What to do with the message at `offset` of `topic`. `running`: the engine is RUNNING (input is consumed only
   * then). May report offsets that vanished (see `Vanished`); the caller logs and counts them.
   */
  decide(topic: Topic, offset: bigint, running: boolean, onVanished?: (v: Vanished) => void): Decision {
    if (offset < this.pos[topic]) return { kind: 'skip' };
    return topic === 'preload' ? this.decidePreload(offset, onVanished) : this.decideInput(offset, running, onVanished);
  }

  private decidePreload(offset: bigint, onVanished?: (v: Vanished) => void): Decision {
    let head = this.schedule[0];
    // A recorded message below this one is gone from the topic (retention): its decision can no longer apply.
    while (head && head.preload < offset) {
      onVanished?.({ topic: 'preload', from: head.preload, to: head.preload + 1n });
      this.schedule.shift();
      head = this.schedule[0];
    }
    // Nothing recorded: a new decision, but never below input whose events may already be out.
    if (!head) return this.pos.input < this.frontier ? { kind: 'defer' } : { kind: 'record', input: this.pos.input };
    if (head.preload > offset) {
      // A later message has a recorded place but this one, read first, has none: preload is applied in offset order,
      // so the journal does not belong to this topic (recreated under the same name?).
      throw new EngineError(
        'ENGINE_ERR_JOURNAL',
        `preload offset ${offset} has no recorded position while ${head.preload} has: the journal does not match the topic`,
      );
    }
    if (this.pos.input < head.input) return { kind: 'defer' }; // input first, up to its recorded position
    if (this.pos.input > head.input) {
      throw new EngineError(
        'ENGINE_ERR_JOURNAL',
        `preload offset ${offset} belongs before input offset ${head.input}, but input is already at ${this.pos.input}`,
      );
    }
    return { kind: 'apply' };
  }

  private decideInput(offset: bigint, running: boolean, onVanished?: (v: Vanished) => void): Decision {
    const head = this.schedule[0];
    if (head && head.input <= offset) {
      if (this.pos.input < head.input) {
        // The input messages between here and the recorded position are gone (retention): move to it.
        onVanished?.({ topic: 'input', from: this.pos.input, to: head.input });
        this.pos.input = head.input;
      }
      return { kind: 'defer' }; // the preload message goes first
    }
    return running ? { kind: 'apply' } : { kind: 'defer' };
  }

  /** Adds decisions just recorded (for preload offsets at or after the position, in order). */
  recorded(entries: readonly ScheduledPreload[]): void {
    for (const e of entries) {
      const last = this.schedule[this.schedule.length - 1];
      if (e.preload < this.pos.preload || (last && e.preload <= last.preload) || e.input < this.pos.input)
        throw new EngineError('ENGINE_ERR_JOURNAL', `preload offset ${e.preload} recorded out of order`);
      this.schedule.push(e);
    }
  }

  /** The message at `offset` of `topic` was applied: the position moves past it (gaps in offsets are fine). */
  applied(topic: Topic, offset: bigint): void {
    if (offset < this.pos[topic])
      throw new EngineError('ENGINE_ERR_ORDER', `${topic} offset ${offset} applied behind position ${this.pos[topic]}`);
    if (topic === 'preload') {
      const head = this.schedule[0];
      if (!head || head.preload !== offset)
        throw new EngineError('ENGINE_ERR_ORDER', `preload offset ${offset} applied without a recorded position`);
      this.schedule.shift();
    }
    this.pos[topic] = offset + 1n;
  }

  /**
   * Which topics to hold: preload while it waits for input to reach a recorded position (or the frontier); input
   * while the engine is not RUNNING or a preload message is due before the next input message.
   */
  pauses(running: boolean): { preload: boolean; input: boolean } {
    const head = this.schedule[0];
    const preloadDue = head !== undefined && this.pos.input >= head.input;
    return {
      preload: head !== undefined ? !preloadDue : this.pos.input < this.frontier,
      input: !running || preloadDue,
    };
  }
}
