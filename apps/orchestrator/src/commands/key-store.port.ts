import type { ApiKeyStore } from '@shardex/db';

/** What the keys commands use of libs/db's API key store (verify is the gateways' business). */
export type KeyAdminStore = Pick<ApiKeyStore, 'create' | 'list' | 'revoke'>;

/** A store on an open connection pool; `close` ends the pool, so the process can exit. */
export interface KeyStoreSession {
  readonly store: KeyAdminStore;
  close(): Promise<void>;
}

/**
 * Opens the store on a checked MySQL URL, its tables migrated. The default is the MySQL adapter; unit tests pass an
 * in-memory fake. When opening fails, nothing may be left open.
 */
export type OpenKeyStore = (mysqlUrl: string) => Promise<KeyStoreSession>;
