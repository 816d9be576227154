/**
 * Load as clients make it, and the record of what each client was told.
 *
 * One stream per symbol sends its orders one after another, each waiting for a definitive answer before the next:
 * the symbol's order on its shard's input topic is then the stream's own order, so an uninterrupted run of the same
 * accepted steps, in the same order, on a twin symbol must leave the same orders and trades — whatever happened to
 * the processes in between. Streams of different symbols run concurrently (that is the load).
 *
 * What a client does with each answer is what the API documents:
 * - 202: accepted; the step counts.
 * - 503 without an orderId (not sent to Kafka, e.g. a broker or database outage): not executed; the client gives the
 *   order up and moves on. It must never trade.
 * - 503 with an orderId, a 409 ORDER_UNCONFIRMED, or no answer at all (a killed gateway): the order may be in
 *   Kafka; the client retries with the same clientOrderId until it gets a definitive answer. It must run once.
 */

import { seededRandom } from '@shardex/contracts/testing';

export type Side = 'buy' | 'sell';

export interface PlaceStep {
  kind: 'place';
  cid: string;
  user: string;
  side: Side;
  type: 'limit' | 'market';
  timeInForce: 'GTC' | 'IOC';
  price?: string;
  quantity: string;
}

export interface CancelStep {
  kind: 'cancel';
  user: string;
  /** clientOrderId of an earlier accepted order of the same user on the symbol. */
  target: string;
}

export type Step = PlaceStep | CancelStep;

export interface Answer {
  /** HTTP status; 0: no answer (connection refused or dropped). */
  status: number;
  code?: string;
  /** A 503 that names the order: it may be in Kafka. */
  withOrderId: boolean;
  /** Date.now() when it came. */
  at: number;
}

export interface Outcome {
  step: Step;
  /** accepted: 202; refused: not sent (a 503 that says so; for a cancel, 409 ORDER_NOT_OPEN). */
  result: 'accepted' | 'refused';
  orderId?: string;
  /** Every answer, in order. */
  answers: Answer[];
}

export interface Reply {
  status: number;
  // The API's JSON answers; fields are read after their status says what they hold.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: Record<string, any>;
}

/** One HTTP call; a refused or dropped connection is status 0, never a throw. */
export async function call(
  base: string,
  method: string,
  url: string,
  apiKey: string | null,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<Reply> {
  try {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(apiKey ? { 'x-api-key': apiKey } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return { status: 0, body: {} };
  }
}

/**
 * An endless seeded stream of steps for one symbol: limit orders around 100.00 (both sides cross often, so trades,
 * partial fills and resting orders all occur), some IOC and market orders, and cancels of earlier orders.
 */
export function stepsFor(symbol: string, users: readonly string[], seed: number): () => Step {
  const r = seededRandom(seed);
  const placed: Array<{ cid: string; user: string }> = [];
  let n = 0;
  let user = users[0] as string;
  return () => {
    // A user sends a run of orders (about ten), as trading clients do; it also lets the reference run batch them.
    if (r() < 0.1) user = users[Math.floor(r() * users.length)] as string;
    const mine = placed.filter((p) => p.user === user);
    if (mine.length > 0 && r() < 0.1) {
      const target = mine[Math.floor(r() * mine.length)] as { cid: string };
      return { kind: 'cancel', user, target: target.cid };
    }
    const cid = `${symbol}-${n++}`;
    const side: Side = r() < 0.5 ? 'buy' : 'sell';
    const quantity = `${1 + Math.floor(r() * 9)}.${Math.floor(r() * 10)}0`;
    const roll = r();
    if (roll < 0.05) return { kind: 'place', cid, user, side, type: 'market', timeInForce: 'IOC', quantity };
    // Buys lean below 100, sells above, with overlap: a book that trades without emptying.
    const ticks = Math.floor(r() * 41) - (side === 'buy' ? 25 : 15);
    const price = (10_000 + ticks * 5) / 100;
    const step: PlaceStep = {
      kind: 'place',
      cid,
      user,
      side,
      type: 'limit',
      timeInForce: roll < 0.15 ? 'IOC' : 'GTC',
      price: price.toFixed(2),
      quantity,
    };
    placed.push({ cid, user });
    if (placed.length > 200) placed.shift();
    return step;
  };
}

export function placeBody(symbol: string, step: PlaceStep, cid = step.cid): Record<string, string> {
  return {
    symbol,
    side: step.side,
    type: step.type,
    timeInForce: step.timeInForce,
    quantity: step.quantity,
    clientOrderId: cid,
    ...(step.price !== undefined ? { price: step.price } : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Answers after which the order may be in Kafka: retry with the same clientOrderId. */
function ambiguous(reply: Reply): boolean {
  if (reply.status === 0 || reply.status === 429) return true;
  if (reply.status === 503) return typeof reply.body['orderId'] === 'string';
  return reply.status === 409 && reply.body['code'] === 'ORDER_UNCONFIRMED';
}

export class UnexpectedAnswer extends Error {}

/** Sends one step until its answer is definitive; throws on an answer no client should get. */
export async function perform(
  base: string,
  symbol: string,
  step: Step,
  keys: Record<string, string>,
  deadlineMs = 120_000,
): Promise<Outcome> {
  const answers: Answer[] = [];
  const key = keys[step.user] as string;
  const deadline = Date.now() + deadlineMs;
  // Once an attempt may have reached Kafka, only a 202 settles the order: a later "not sent" is about that retry.
  let maybeSent = false;
  for (let attempt = 0; ; attempt++) {
    const reply =
      step.kind === 'place'
        ? await call(base, 'POST', '/v1/orders', key, placeBody(symbol, step))
        : await call(base, 'DELETE', `/v1/orders?clientOrderId=${encodeURIComponent(step.target)}`, key);
    answers.push({
      status: reply.status,
      ...(typeof reply.body['code'] === 'string' ? { code: reply.body['code'] } : {}),
      withOrderId: reply.status === 503 && typeof reply.body['orderId'] === 'string',
      at: Date.now(),
    });
    if (reply.status === 202) {
      return {
        step,
        result: 'accepted',
        answers,
        ...(reply.body['orderId'] ? { orderId: reply.body['orderId'] } : {}),
      };
    }
    // A cancel is sent again until accepted: a second copy of a cancel changes nothing.
    if (step.kind === 'place' ? ambiguous(reply) : reply.status === 503 || reply.status === 0) maybeSent = true;
    const retry =
      step.kind === 'cancel' ? reply.status === 503 || reply.status === 0 : maybeSent && reply.status === 503;
    if (retry || (step.kind === 'place' && ambiguous(reply))) {
      if (Date.now() > deadline)
        throw new UnexpectedAnswer(`${symbol} ${JSON.stringify(step)}: no definitive answer in ${deadlineMs} ms`);
      await sleep(Math.min(50 * 2 ** attempt, 1_000));
      continue;
    }
    if (reply.status === 503 && step.kind === 'place') return { step, result: 'refused', answers };
    // The gateway already sees the order filled, canceled or expired: nothing was sent — unless an earlier attempt
    // may have gone out (and may be what canceled it): then the cancel counts, and the reference run repeats it.
    if (step.kind === 'cancel' && reply.status === 409 && reply.body['code'] === 'ORDER_NOT_OPEN')
      return { step, result: maybeSent ? 'accepted' : 'refused', answers };
    throw new UnexpectedAnswer(`${symbol} ${JSON.stringify(step)} → ${reply.status} ${JSON.stringify(reply.body)}`);
  }
}

export interface StreamRecord {
  symbol: string;
  outcomes: Outcome[];
  /** What ended the stream early, if anything. */
  error?: Error;
}

/** Runs one stream per symbol until `stop()` resolves, each step to its definitive answer. */
export function runStreams(
  base: () => string,
  symbols: readonly string[],
  keys: Record<string, string>,
  seed: number,
): { records: StreamRecord[]; stop(): Promise<StreamRecord[]>; /** Accepted steps so far. */ steps(): number } {
  let stopping = false;
  const users = Object.keys(keys);
  const records = symbols.map((symbol) => ({ symbol, outcomes: [] as Outcome[] }) as StreamRecord);
  const loops = records.map(async (record, i) => {
    const next = stepsFor(record.symbol, users, seed + i);
    const accepted = new Set<string>();
    while (!stopping) {
      let step = next();
      // Cancel only orders the shard has (a refused one was never placed).
      while (step.kind === 'cancel' && !accepted.has(step.target)) step = next();
      try {
        const outcome = await perform(base(), record.symbol, step, keys);
        record.outcomes.push(outcome);
        if (outcome.result === 'accepted' && step.kind === 'place') accepted.add(step.cid);
      } catch (err) {
        record.error = err as Error;
        return;
      }
    }
  });
  return {
    records,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return records;
    },
    // Accepted steps only: a gateway that refuses everything quickly must not look like progress.
    steps: () => records.reduce((n, r) => n + r.outcomes.filter((o) => o.result === 'accepted').length, 0),
  };
}
