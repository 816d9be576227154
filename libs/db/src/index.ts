export { createDb, parseDatabaseUrl } from './knex';
export type { DbOptions, MysqlConnection } from './knex';
export { migrateDownAll, migrateLatest } from './migrate';
export { MIGRATIONS } from './migrations';
export { ORDER_MUTABLE_COLUMNS, ORDER_STATUSES, ORDERS_TABLE, orderRecord, TRADES_TABLE, tradeRecord } from './tables';
export type { OrderRow, OrderStatus, TradeRow } from './tables';
export { DB_ERROR_CODES, DbError, isConnectionError, isTransactionConflict, MYSQL_ERRNO } from './errors';
export type { DbErrorCode } from './errors';
export type { Knex } from 'knex';
