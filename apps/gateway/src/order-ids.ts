import { randomBytes } from 'node:crypto';

/**
 * Order ids: 26 characters of Crockford base32 — 48 bits of milliseconds since the epoch, then 80 bits that are
 * random at the first id of each millisecond and count up after it (the ULID layout). So ids sort by time as
 * strings and within one gateway strictly in issue order, even when the clock steps back (the last time is kept
 * until the clock passes it), and two gateways collide only if they draw the same 80 random bits in the same
 * millisecond. Uniqueness is also enforced downstream: a shard accepts an order id once, and the orders table refuses
 * to change an order's identity.
 */
export interface OrderIdGenerator {
  next(): string;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const MAX_TIME = 2 ** 48 - 1;
/** The random part as five 16-bit limbs, most significant first (integers stay exact, no bigint on the hot path). */
const LIMBS = 5;

export function createOrderIdGenerator({
  now = Date.now,
  random = (n: number): Uint8Array => randomBytes(n),
}: { now?: () => number; random?: (n: number) => Uint8Array } = {}): OrderIdGenerator {
  let lastTime = -1;
  const limbs = new Array<number>(LIMBS).fill(0);

  const reseed = () => {
    const bytes = random(LIMBS * 2);
    for (let i = 0; i < LIMBS; i++) limbs[i] = ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number);
  };
  /** Adds one to the 80-bit counter; false when it wraps (2^80 ids in one millisecond: never in practice). */
  const increment = (): boolean => {
    for (let i = LIMBS - 1; i >= 0; i--) {
      const v = (limbs[i] as number) + 1;
      if (v <= 0xffff) {
        limbs[i] = v;
        return true;
      }
      limbs[i] = 0;
    }
    return false;
  };

  return {
    next() {
      const t = Math.floor(now());
      if (!Number.isSafeInteger(t) || t < 0 || t > MAX_TIME) throw new RangeError(`clock reads ${t}, not a time`);
      if (t > lastTime) {
        lastTime = t;
        reseed();
      } else if (!increment()) {
        // This millisecond's counter is spent (ULID's monotonic mode throws here): take the next millisecond.
        lastTime++;
        reseed();
      }
      return encodeTime(lastTime) + encodeRandom(limbs);
    },
  };
}

function encodeTime(t: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** 80 bits → 16 base32 characters, 5 bits at a time from the most significant end. */
function encodeRandom(limbs: readonly number[]): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const limb of limbs) {
    acc = (acc << 16) | limb;
    bits += 16;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** The millisecond an order id was issued at (its first 10 characters). */
export function orderIdTime(orderId: string): number | undefined {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(orderId)) return undefined;
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(orderId[i] as string);
  return t <= MAX_TIME ? t : undefined;
}
