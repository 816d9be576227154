export { createDb, isDatabaseUrl, parseDatabaseUrl, SESSION_SETUP } from './knex';
export type { DbOptions, MysqlConnection } from './knex';
export { migrateDownAll, migrateLatest } from './migrate';
export { MIGRATIONS } from './migrations';
export { createSnapshotStore } from './snapshots';
export type { SnapshotStore, SnapshotToSave, StoredSnapshot, TopicOffsets } from './snapshots';
export { createLeaseStore } from './leases';
export type { LeaseAttempt, LeaseStore, WriteFence } from './leases';
export { createPreloadJournal } from './preload-journal';
export type { PreloadJournal, PreloadJournalEntry } from './preload-journal';
export { createApiKeyStore, createApiKeyVerifier, parseApiKey } from './api-keys';
export type {
  ApiKeyInfo,
  ApiKeyStore,
  ApiKeyStoreOptions,
  ApiKeyVerifier,
  ApiKeyVerifierOptions,
  CreatedApiKey,
  VerifiedApiKey,
} from './api-keys';
export { CLIENT_ORDER_ID_PATTERN, createClientOrderStore, MIN_CLIENT_ORDER_RETENTION_MS } from './client-orders';
export type {
  ClientOrder,
  ClientOrderReservation,
  ClientOrderReservationInput,
  ClientOrderState,
  ClientOrderStore,
  ClientOrderStoreOptions,
} from './client-orders';
export { createInstrumentRegistry, InstrumentSetInvalidError } from './instruments';
export type {
  InstrumentAssignment,
  InstrumentRegistry,
  InstrumentRegistryOptions,
  InstrumentSet,
  InstrumentSetToPublish,
} from './instruments';
export { createOrderQueries, MAX_PAGE_LIMIT } from './order-queries';
export type {
  Fill,
  FillListOptions,
  FillPage,
  Liquidity,
  OrderListOptions,
  OrderPage,
  OrderQueries,
  OrderQueriesOptions,
  PublicTrade,
  TradeVolume,
} from './order-queries';
export {
  API_KEYS_TABLE,
  CLIENT_ORDERS_TABLE,
  DEAD_LETTERS_TABLE,
  deadLetterRecord,
  INPUT_FRONTIER_TABLE,
  INSTRUMENT_SETS_TABLE,
  INSTRUMENTS_TABLE,
  LEASES_TABLE,
  ORDER_IDENTITY_COLUMNS,
  ORDER_MUTABLE_COLUMNS,
  ORDER_STATUSES,
  ORDERS_TABLE,
  orderRecord,
  PRELOAD_JOURNAL_TABLE,
  SNAPSHOT_CHUNKS_TABLE,
  SNAPSHOTS_TABLE,
  TRADE_IMMUTABLE_COLUMNS,
  TRADES_TABLE,
  tradeRecord,
  utcDatetime,
} from './tables';
export type { DeadLetterRow, OrderRow, OrderStatus, TradeRow } from './tables';
export {
  DB_ERROR_CODES,
  DbError,
  isConnectionError,
  isDuplicateKey,
  isFenced,
  isRowDataError,
  isTransactionConflict,
  MYSQL_ERRNO,
  portableErrorCode,
} from './errors';
export type { DbErrorCode } from './errors';
export type { Knex } from 'knex';
export { readShardHealth } from './shard-health';
export type { ShardHealth } from './shard-health';
