import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { placeOrderPayloadSchema } from '@shardex/contracts';
import type { Knex } from 'knex';
import { DbError } from './errors';
import { stringRule } from './string-rules';
import { API_KEYS_TABLE } from './tables';

/**
 * API keys of the gateway. A key is presented as `<keyId>.<secret>` (the `x-api-key` header): the key id is public
 * (it names the key in lists, logs and revocations), the secret is shown once, at creation, and only its SHA-256 is
 * stored.
 *
 * Why a plain SHA-256 and not bcrypt/scrypt/argon2: a slow KDF protects low-entropy secrets (passwords) from
 * guessing after a leak of the hashes. Our secrets are ≥ 256 random bits, so no guessing can succeed against the
 * digest, and a slow KDF would only cost CPU on every request of the gateway's hot path.
 */

/** The user id rule of the order commands (libs/contracts), so a key is only issued to an id that can trade. */
const USER_ID = stringRule(placeOrderPayloadSchema.properties.userId);
const LABEL_MAX_LENGTH = 128;
// C0 and C1 control characters (newlines included): a label is shown on one line in lists and logs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const KEY_ID_PREFIX = 'ak_';
/** 12 random bytes → 16 base64url characters: 96 bits, so ids never collide in practice. */
const KEY_ID_RANDOM_BYTES = 12;
const MIN_SECRET_BYTES = 32;
const MAX_SECRET_BYTES = 64;
/**
 * What `verify` accepts: an id as `create` makes it and a base64url secret of 32-64 bytes (43-86 characters, no
 * padding). Anything else is refused before a digest is computed or the database is asked.
 */
const API_KEY_PATTERN = /^(ak_[A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43,86})$/;
const API_KEY_MAX_LENGTH = 3 + 16 + 1 + 86;

export interface CreatedApiKey {
  keyId: string;
  /** The secret, base64url: returned once, never stored. */
  secret: string;
  /** What the client presents in `x-api-key`: `<keyId>.<secret>`. */
  apiKey: string;
}

/** A stored key as lists show it: never the secret nor its digest. */
export interface ApiKeyInfo {
  keyId: string;
  userId: string;
  label: string | null;
  /** ISO 8601, UTC, millisecond precision. */
  createdAt: string;
  /** ISO 8601, or null while the key is live. */
  revokedAt: string | null;
}

export interface VerifiedApiKey {
  keyId: string;
  userId: string;
}

export interface ApiKeyStore {
  /** Issues a key for the user; throws DB_ERR_API_KEY_INVALID for a bad user id or label. */
  create(input: { userId: string; label?: string | null }): Promise<CreatedApiKey>;
  /** Revokes a live key; false when it is unknown or already revoked (so calling it again is harmless). */
  revoke(keyId: string): Promise<boolean>;
  /** The keys of one user, or of everyone, oldest first. */
  list(userId?: string): Promise<ApiKeyInfo[]>;
  /**
   * The key's owner when `apiKey` is a live key with the right secret, else undefined. Malformed input of any type
   * is undefined, never an exception; a database failure does throw (the caller must answer "unavailable", not
   * "unauthorised").
   */
  verify(apiKey: unknown): Promise<VerifiedApiKey | undefined>;
}

export interface ApiKeyStoreOptions {
  /** Random bytes in each new secret: 32-64, default 32 (256 bits). Keys of any size in that range verify. */
  secretBytes?: number;
}

/** Splits a presented key into its id and secret, or undefined when it is not shaped like one of ours. */
export function parseApiKey(apiKey: unknown): { keyId: string; secret: string } | undefined {
  if (typeof apiKey !== 'string' || apiKey.length > API_KEY_MAX_LENGTH) return undefined;
  const m = API_KEY_PATTERN.exec(apiKey);
  return m?.[1] !== undefined && m[2] !== undefined ? { keyId: m[1], secret: m[2] } : undefined;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

function checkUserId(userId: unknown): string {
  if (!USER_ID.test(userId)) throw new DbError('DB_ERR_API_KEY_INVALID', `user id must be ${USER_ID.describe}`);
  return userId;
}

function checkLabel(label: unknown): string | null {
  if (label === undefined || label === null) return null;
  if (
    typeof label !== 'string' ||
    label.length === 0 ||
    label.length > LABEL_MAX_LENGTH ||
    CONTROL_CHARACTERS.test(label)
  )
    throw new DbError(
      'DB_ERR_API_KEY_INVALID',
      `label must be 1-${LABEL_MAX_LENGTH} characters without control characters`,
    );
  return label;
}

interface ApiKeyDbRow {
  key_id: string;
  user_id: string;
  secret_hash: Buffer;
  label: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export function createApiKeyStore(db: Knex, { secretBytes = MIN_SECRET_BYTES }: ApiKeyStoreOptions = {}): ApiKeyStore {
  if (!Number.isInteger(secretBytes) || secretBytes < MIN_SECRET_BYTES || secretBytes > MAX_SECRET_BYTES)
    throw new DbError(
      'DB_ERR_CONFIG',
      `secretBytes must be an integer from ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES}, got ${secretBytes}`,
    );

  return {
    async create(input) {
      const userId = checkUserId(input?.userId);
      const label = checkLabel(input?.label);
      const keyId = KEY_ID_PREFIX + randomBytes(KEY_ID_RANDOM_BYTES).toString('base64url');
      const secret = randomBytes(secretBytes).toString('base64url');
      // A colliding key id (2^-96 per pair) fails on the primary key rather than overwriting anything.
      await db(API_KEYS_TABLE).insert({ key_id: keyId, user_id: userId, secret_hash: sha256(secret), label });
      return { keyId, secret, apiKey: `${keyId}.${secret}` };
    },

    async revoke(keyId) {
      if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 32) return false;
      const changed = await db(API_KEYS_TABLE)
        .where({ key_id: keyId })
        .whereNull('revoked_at')
        .update({ revoked_at: db.raw('CURRENT_TIMESTAMP(3)') });
      return changed > 0;
    },

    async list(userId) {
      const owner = userId === undefined ? undefined : checkUserId(userId);
      const q = db<ApiKeyDbRow>(API_KEYS_TABLE)
        .select('key_id', 'user_id', 'label', 'created_at', 'revoked_at')
        .orderBy([{ column: 'created_at' }, { column: 'key_id' }]);
      if (owner !== undefined) q.where({ user_id: owner });
      const rows = (await q) as Array<Omit<ApiKeyDbRow, 'secret_hash'>>;
      return rows.map((r) => ({
        keyId: r.key_id,
        userId: r.user_id,
        label: r.label,
        createdAt: r.created_at.toISOString(),
        revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
      }));
    },

    async verify(apiKey) {
      const parsed = parseApiKey(apiKey);
      if (!parsed) return undefined;
      const row = (await db(API_KEYS_TABLE)
        .select('user_id', 'secret_hash', 'revoked_at')
        .where({ key_id: parsed.keyId })
        .first()) as Pick<ApiKeyDbRow, 'user_id' | 'secret_hash' | 'revoked_at'> | undefined;
      if (!row || row.revoked_at !== null) return undefined;
      const presented = sha256(parsed.secret);
      // Both are 32-byte digests; the length check only guards against a damaged row (timingSafeEqual throws).
      const stored = Buffer.from(row.secret_hash);
      if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined;
      return { keyId: parsed.keyId, userId: row.user_id };
    },
  };
}

export interface ApiKeyVerifierOptions {
  /**
   * How long a result (a key's owner, or "no such live key") is answered from memory, in ms; default 2000. A
   * revocation takes effect within this time: an entry expires ttlMs after its lookup *started*. 0 disables caching
   * (concurrent lookups are still shared).
   */
  ttlMs?: number;
  /** Entries each of the positive and the negative cache holds at most (the oldest goes first); default 100 000. */
  maxEntries?: number;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
}

export interface ApiKeyVerifier {
  /** As ApiKeyStore.verify, answered from memory when a result at most ttlMs old is known. */
  verify(apiKey: unknown): Promise<VerifiedApiKey | undefined>;
}

interface CacheEntry {
  result: VerifiedApiKey | undefined;
  expiresAt: number;
}

/**
 * The gateway's hot path: one database read per key per ttlMs rather than per request, for good keys and bad ones.
 * Malformed keys are refused before any cache or lookup. Entries are keyed by the SHA-256 of the whole presented
 * key, so the process never holds a secret longer than a request does. Negative results live in their own bounded
 * map: a flood of bad keys can evict only other bad keys, never the good ones. (A flood of *distinct* well-formed
 * keys still costs one primary-key read each: rate limiting in front of this is the gateway's job.)
 * A failed lookup is not cached: every caller sharing it gets the error, the next call asks again.
 */
export function createApiKeyVerifier(
  store: Pick<ApiKeyStore, 'verify'>,
  { ttlMs = 2_000, maxEntries = 100_000, now = Date.now }: ApiKeyVerifierOptions = {},
): ApiKeyVerifier {
  if (!Number.isFinite(ttlMs) || ttlMs < 0)
    throw new DbError('DB_ERR_CONFIG', `ttlMs must be a finite number >= 0, got ${ttlMs}`);
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new DbError('DB_ERR_CONFIG', `maxEntries must be an integer >= 1, got ${maxEntries}`);

  // Maps iterate in insertion order, and every entry lives ttlMs: the first key is the oldest and the first to expire.
  const positive = new Map<string, CacheEntry>();
  const negative = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<VerifiedApiKey | undefined>>();

  const remember = (digest: string, entry: CacheEntry) => {
    const cache = entry.result ? positive : negative;
    // A key is in one map at most: a revoked key's positive entry must not outlive its negative one.
    positive.delete(digest);
    negative.delete(digest);
    while (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
    cache.set(digest, entry);
  };

  return {
    // async: everything before the first await runs at once, so a second caller already finds the first's lookup.
    async verify(apiKey) {
      const parsed = parseApiKey(apiKey);
      if (!parsed) return undefined;
      const presented = `${parsed.keyId}.${parsed.secret}`;
      const digest = createHash('sha256').update(presented, 'utf8').digest('base64');
      const t = now();
      const hit = positive.get(digest) ?? negative.get(digest);
      if (hit) {
        if (t < hit.expiresAt) return hit.result;
        positive.delete(digest);
        negative.delete(digest);
      }
      const pending = inFlight.get(digest);
      if (pending) return pending;
      const lookup = store.verify(presented).then(
        (result) => {
          inFlight.delete(digest);
          const expiresAt = t + ttlMs;
          if (now() < expiresAt) remember(digest, { result, expiresAt });
          return result;
        },
        (err: unknown) => {
          inFlight.delete(digest);
          throw err;
        },
      );
      inFlight.set(digest, lookup);
      return lookup;
    },
  };
}
