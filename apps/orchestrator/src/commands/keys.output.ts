import { formatTable } from '../table';
import type { ApiKeyInfo, CreatedApiKey } from '@shardex/db';

/** The gateway setting that bounds how late a revocation bites (apps/gateway's config), and its default. */
export const CACHE_TTL_NOTE = 'API_KEY_CACHE_TTL_MS, default 2 s';

/** `keys create --json`: one object; the key is in it once, as the client presents it. */
export interface CreatedKeyJson {
  keyId: string;
  userId: string;
  label: string | null;
  /** `<keyId>.<secret>`, for the `x-api-key` header. */
  apiKey: string;
}

export function createdKeyJson(created: CreatedApiKey, userId: string, label: string | null): CreatedKeyJson {
  return { keyId: created.keyId, userId, label, apiKey: created.apiKey };
}

export function formatCreatedKey(key: CreatedKeyJson): string {
  return [
    `Created API key ${key.keyId} for user ${key.userId}${key.label === null ? '' : ` (label: ${key.label})`}:`,
    '',
    `  ${key.apiKey}`,
    '',
    'Store it now: it cannot be shown again (only its SHA-256 is kept). Clients send it in the x-api-key header.',
    '',
  ].join('\n');
}

/**
 * A key as `keys list --json` shows it. The fields are picked one by one rather than spread, so a field the store
 * may add one day (a digest, say) never reaches the output unreviewed.
 */
export function listedKeyJson(k: ApiKeyInfo): ApiKeyInfo {
  return { keyId: k.keyId, userId: k.userId, label: k.label, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export function formatKeyTable(keys: readonly ApiKeyInfo[]): string {
  return formatTable(
    ['KEY ID', 'USER ID', 'LABEL', 'CREATED', 'REVOKED'],
    keys.map((k) => [k.keyId, k.userId, k.label ?? '-', k.createdAt, k.revokedAt ?? '-']),
  );
}

export function formatRevoked(keyId: string): string {
  return `Revoked ${keyId}. Gateways stop accepting it within their API key cache ttl (${CACHE_TTL_NOTE}).\n`;
}
