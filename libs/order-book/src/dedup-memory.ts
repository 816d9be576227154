/**
 * The de-duplication memory of order commands: a FIFO of [issuedAt, commandId, accepted orderId] in arrival order,
 * indexed by both ids. It is on the hot path (every order command looks up and adds a command id, every placement
 * an order id, and every command forgets one), and a JS `Set` of 60,000 strings under that churn costs several
 * hundred ns per command in cache misses (bucket → entry → key string for its hash). So each index is an
 * open-addressing table in a typed array that keeps each key's 32-bit hash beside its slot: a probe reads one cache
 * line, and a key string is compared only when the hashes agree.
 *
 * The FIFO is a ring of `capacity` (a power of two) entries from `head` to `tail` (counters; the ring index is the
 * counter masked). Each table has two slots per ring entry, so it is at most half full and probe runs stay short; a
 * slot holds 0 (empty) or the ring index + 1 of its entry. Deletion shifts back the rest of the run (no tombstones,
 * so lookups never slow down with age). The ring grows when full and never shrinks: memory is bounded by the most
 * commands a window ever held.
 */

import type { DedupEntry } from './snapshot';

const INITIAL_CAPACITY = 1024;

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so that the low bits (the slot) depend on every char. */
export function hashId(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class DedupMemory {
  private capacity = INITIAL_CAPACITY;
  private times = new Float64Array(INITIAL_CAPACITY);
  private commandIds: string[] = new Array<string>(INITIAL_CAPACITY).fill('');
  /** '' where the entry's command accepted no order. */
  private orderIds: string[] = new Array<string>(INITIAL_CAPACITY).fill('');
  private commandHashes = new Int32Array(INITIAL_CAPACITY);
  private orderHashes = new Int32Array(INITIAL_CAPACITY);
  /**
   * One table per kind of key, so a lookup of a command id touches only command ids. Slot i is table[2i] (0, or
   * the ring index + 1 of its entry) and table[2i + 1] (its key's hash): a probe reads one cache line.
   */
  private commandTable = new Int32Array(INITIAL_CAPACITY * 4);
  private orderTable = new Int32Array(INITIAL_CAPACITY * 4);
  private head = 0;
  private tail = 0;

  /** The issuedAt of the oldest entry, or undefined when empty. */
  oldestTime(): number | undefined {
    return this.head === this.tail ? undefined : this.times[this.head & (this.capacity - 1)];
  }

  hasCommand(commandId: string, hash: number): boolean {
    return this.find(this.commandTable, this.commandIds, commandId, hash);
  }

  hasOrder(orderId: string, hash: number): boolean {
    return this.find(this.orderTable, this.orderIds, orderId, hash);
  }

  /** Appends an entry; the caller has checked that the command id is not in memory. */
  add(time: number, commandId: string, hash: number): void {
    if (this.tail - this.head === this.capacity) this.grow();
    const at = this.tail & (this.capacity - 1);
    this.times[at] = time;
    this.commandIds[at] = commandId;
    this.commandHashes[at] = hash;
    this.orderIds[at] = '';
    this.tail++;
    insert(this.commandTable, at + 1, hash);
  }

  /** Records that the newest entry's command accepted `orderId` (the caller has checked it is not in memory). */
  acceptNewest(orderId: string, hash: number): void {
    const at = (this.tail - 1) & (this.capacity - 1);
    this.orderIds[at] = orderId;
    this.orderHashes[at] = hash;
    insert(this.orderTable, at + 1, hash);
  }

  /** Forgets entries from the oldest on while their time is below `horizon`. */
  expireBefore(horizon: number): void {
    const mask = this.capacity - 1;
    while (this.head !== this.tail) {
      const at = this.head & mask;
      if ((this.times[at] as number) >= horizon) return;
      remove(this.commandTable, at + 1, this.commandHashes[at] as number);
      if (this.orderIds[at] !== '') remove(this.orderTable, at + 1, this.orderHashes[at] as number);
      // Drop the references so forgotten ids can be collected.
      this.commandIds[at] = '';
      this.orderIds[at] = '';
      this.head++;
    }
    // Keep the counters small integers (V8 Smis): shifting both by the capacity leaves every ring index alone. That
    // makes this a speed measure only: whether, when and by how much both move, the ring indexes stay the same.
    // Stryker disable all: equivalent mutants (see above)
    if (this.head >= this.capacity) {
      this.head -= this.capacity;
      this.tail -= this.capacity;
    }
    // Stryker restore all
  }

  /** Entries oldest first: [issuedAt, commandId] or [issuedAt, commandId, orderId]. */
  entries(): DedupEntry[] {
    const out: DedupEntry[] = [];
    const mask = this.capacity - 1;
    for (let p = this.head; p < this.tail; p++) {
      const at = p & mask;
      const time = this.times[at] as number;
      const commandId = this.commandIds[at] as string;
      const orderId = this.orderIds[at] as string;
      out.push(orderId === '' ? [time, commandId] : [time, commandId, orderId]);
    }
    return out;
  }

  private find(table: Int32Array, keys: string[], key: string, hash: number): boolean {
    const mask = (table.length >>> 1) - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = table[2 * i] as number;
      if (e === 0) return false;
      if (table[2 * i + 1] === hash && keys[e - 1] === key) return true;
    }
  }

  private grow(): void {
    const old = {
      times: this.times,
      commandIds: this.commandIds,
      orderIds: this.orderIds,
      commandHashes: this.commandHashes,
      orderHashes: this.orderHashes,
      mask: this.capacity - 1,
    };
    const capacity = this.capacity * 2;
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
    this.commandIds = new Array<string>(capacity).fill('');
    this.orderIds = new Array<string>(capacity).fill('');
    this.commandHashes = new Int32Array(capacity);
    this.orderHashes = new Int32Array(capacity);
    this.commandTable = new Int32Array(capacity * 4);
    this.orderTable = new Int32Array(capacity * 4);
    const head = this.head;
    const size = this.tail - head;
    // Re-laid from index 0, so the counters restart too.
    for (let k = 0; k < size; k++) {
      const from = (head + k) & old.mask;
      this.times[k] = old.times[from] as number;
      this.commandIds[k] = old.commandIds[from] as string;
      this.commandHashes[k] = old.commandHashes[from] as number;
      insert(this.commandTable, k + 1, old.commandHashes[from] as number);
      const orderId = old.orderIds[from] as string;
      this.orderIds[k] = orderId;
      if (orderId !== '') {
        this.orderHashes[k] = old.orderHashes[from] as number;
        insert(this.orderTable, k + 1, old.orderHashes[from] as number);
      }
    }
    this.head = 0;
    this.tail = size;
  }
}

/** Puts entry `e` (ring index + 1) with key hash `hash` in the first free slot of its probe run. */
function insert(table: Int32Array, e: number, hash: number): void {
  const mask = (table.length >>> 1) - 1;
  let i = hash & mask;
  while (table[2 * i] !== 0) i = (i + 1) & mask;
  table[2 * i] = e;
  table[2 * i + 1] = hash;
}

/**
 * Removes entry `e` (present, with key hash `hash`), shifting later members of its probe run back into the gap so
 * that no lookup ever stops early. Found by its slot value, not its key: the key strings of old entries are cold.
 */
function remove(table: Int32Array, e: number, hash: number): void {
  const mask = (table.length >>> 1) - 1;
  let gap = hash & mask;
  while (table[2 * gap] !== e) gap = (gap + 1) & mask;
  for (let j = (gap + 1) & mask; table[2 * j] !== 0; j = (j + 1) & mask) {
    const home = (table[2 * j + 1] as number) & mask;
    // The entry at j may move to the gap unless its home is cyclically within (gap, j].
    const stays = gap < j ? home > gap && home <= j : home > gap || home <= j;
    if (!stays) {
      table[2 * gap] = table[2 * j] as number;
      table[2 * gap + 1] = table[2 * j + 1] as number;
      gap = j;
    }
  }
  table[2 * gap] = 0;
}
