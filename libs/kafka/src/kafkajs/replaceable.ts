/**
 * A connected resource that can be swapped for a fresh one while others still use the old: the producer's defence
 * against kafkajs remembering a missing topic forever. Creation failures are never cached — the next `acquire`
 * tries again — and a replaced instance is disposed of only when its last user releases it.
 */
export interface Replaceable<T> {
  /** The current instance, created first if there is none (or the last attempt failed). Pair with `release`. */
  acquire(): Promise<T>;
  release(instance: T): void;
  /** The next `acquire` gets a new instance; `broken` is disposed of once nobody uses it. No-op if already replaced. */
  replace(broken: T): void;
  /** Disposes of every instance; `acquire` fails afterwards until `reopen`. */
  close(): Promise<void>;
  reopen(): void;
  readonly closed: boolean;
}

export function createReplaceable<T>({
  create,
  dispose,
  closedError,
}: {
  create: () => Promise<T>;
  dispose: (instance: T) => Promise<void>;
  closedError: () => Error;
}): Replaceable<T> {
  let current: Promise<T> | null = null;
  /** What `current` resolved to, once it has. */
  let currentValue: T | undefined;
  let closed = true;
  const users = new Map<T, number>();
  const retired = new Set<T>();
  const live = new Set<T>();

  const drop = (instance: T) => {
    live.delete(instance);
    retired.delete(instance);
    dispose(instance).catch(() => undefined); // it is broken or unused; nothing to report to anyone
  };

  return {
    get closed() {
      return closed;
    },
    async acquire() {
      if (closed) throw closedError();
      if (!current) {
        const attempt: Promise<T> = create().then(
          (instance) => {
            live.add(instance);
            if (current === attempt) currentValue = instance;
            return instance;
          },
          (err: unknown) => {
            // A failed creation is not kept: the next acquire starts a new attempt.
            if (current === attempt) current = null;
            throw err;
          },
        );
        current = attempt;
      }
      const instance = await current;
      users.set(instance, (users.get(instance) ?? 0) + 1);
      return instance;
    },
    release(instance) {
      const n = (users.get(instance) ?? 1) - 1;
      if (n > 0) {
        users.set(instance, n);
        return;
      }
      users.delete(instance);
      if (retired.has(instance)) drop(instance);
    },
    replace(broken) {
      if (retired.has(broken) || !live.has(broken)) return;
      retired.add(broken);
      // Only when it is still the current one: a newer instance may already have taken its place.
      if (currentValue === broken) {
        current = null;
        currentValue = undefined;
      }
      if (!users.has(broken)) drop(broken);
    },
    async close() {
      closed = true;
      const pending = current;
      current = null;
      currentValue = undefined;
      if (pending) await pending.catch(() => undefined);
      await Promise.allSettled([...live].map((i) => dispose(i)));
      live.clear();
      retired.clear();
      users.clear();
    },
    reopen() {
      closed = false;
    },
  };
}
