import { createHash } from 'node:crypto';
import { type ApiKeyInfo, DbError } from '@shardex/db';
import type { KeyAdminStore, KeyStoreSession, OpenKeyStore } from '../commands/key-store.port';

// libs/db's input rules (the order commands' user id rule, a one-line label), so the fake refuses what it refuses.
const USER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

export interface InMemoryKeyStore extends KeyAdminStore {
  /** Every key made so far, with its secret, by key id: what a test compares the output with. */
  readonly issued: ReadonlyMap<string, ApiKeyInfo & { secret: string }>;
}

/**
 * A fake of libs/db's API key store: deterministic ids and secrets (`ak_` + 16 characters, a 43-character
 * base64url secret), times from `now`, DB_ERR_API_KEY_INVALID on a bad user id or label, and `revoke` false for
 * an unknown or already revoked key, like the real one.
 */
export function createInMemoryKeyStore({ now = () => Date.UTC(2030, 0, 2, 3, 4, 5, 6) } = {}): InMemoryKeyStore {
  const keys = new Map<string, ApiKeyInfo & { secret: string }>();
  const checkUserId = (userId: unknown): string => {
    if (typeof userId !== 'string' || !USER_ID.test(userId))
      throw new DbError('DB_ERR_API_KEY_INVALID', 'user id must be 1-64 characters of [A-Za-z0-9._:-]');
    return userId;
  };
  return {
    issued: keys,
    async create({ userId, label }) {
      checkUserId(userId);
      if (
        label !== undefined &&
        label !== null &&
        (label === '' || label.length > 128 || CONTROL_CHARACTERS.test(label))
      )
        throw new DbError('DB_ERR_API_KEY_INVALID', 'label must be 1-128 characters without control characters');
      const n = keys.size + 1;
      const keyId = `ak_${String(n).padStart(16, '0')}`;
      const secret = createHash('sha256').update(`secret-${n}`).digest('base64url');
      const createdAt = new Date(now()).toISOString();
      keys.set(keyId, { keyId, userId, label: label ?? null, createdAt, revokedAt: null, secret });
      return { keyId, secret, apiKey: `${keyId}.${secret}` };
    },
    async revoke(keyId) {
      const key = keys.get(keyId);
      if (!key || key.revokedAt !== null) return false;
      key.revokedAt = new Date(now()).toISOString();
      return true;
    },
    async list(userId) {
      const owner = userId === undefined ? undefined : checkUserId(userId);
      // Leaks the secret on purpose: the CLI must pick the fields it prints, whatever the store returns.
      return [...keys.values()].filter((k) => owner === undefined || k.userId === owner).map((k) => ({ ...k }));
    },
  };
}

export interface FakeKeyStoreOpener {
  open: OpenKeyStore;
  /** The URL of each open, in order. */
  readonly openedWith: string[];
  /** How many sessions were closed: equal to openedWith.length once a command is done. */
  readonly closed: () => number;
}

/** Hands out sessions on `store` and counts them, so a test can check the pool is closed on every path. */
export function fakeKeyStoreOpener(store: KeyAdminStore): FakeKeyStoreOpener {
  const openedWith: string[] = [];
  let closed = 0;
  return {
    openedWith,
    closed: () => closed,
    async open(url): Promise<KeyStoreSession> {
      openedWith.push(url);
      return {
        store,
        async close() {
          closed += 1;
        },
      };
    },
  };
}
