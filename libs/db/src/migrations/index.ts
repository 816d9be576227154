import type { Knex } from 'knex';
import { ORDERS_TABLE, SNAPSHOTS_TABLE, TRADES_TABLE } from '../tables';

/**
 * Migrations live in code (not a directory knex globs at run time), so they work from sources, bundles and
 * images alike. Names sort in the order they run. SQL is knex's schema builder: it runs on MySQL 8 and MariaDB.
 */
export const MIGRATIONS: ReadonlyArray<{ name: string; up(db: Knex): Promise<void>; down(db: Knex): Promise<void> }> = [
  {
    name: '20261121-001-orders-and-trades',
    async up(db) {
      await db.schema.createTable(ORDERS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('order_id', 64).primary();
        t.string('shard_id', 64).notNullable();
        t.string('user_id', 64).notNullable();
        t.string('symbol', 32).notNullable();
        t.string('side', 4).notNullable();
        t.string('type', 6).notNullable();
        t.string('time_in_force', 3).notNullable();
        t.decimal('price', 36, 18).nullable();
        t.decimal('quantity', 36, 18).notNullable();
        t.decimal('filled_quantity', 36, 18).notNullable();
        t.string('status', 16).notNullable();
        t.boolean('post_only').notNullable().defaultTo(false);
        t.string('reason', 32).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.bigInteger('version').unsigned().notNullable();
        // The gateway's queries: a user's orders by status, newest first; a symbol's orders over time.
        t.index(['user_id', 'status', 'created_at'], 'ix_orders_user_status_created');
        t.index(['symbol', 'created_at'], 'ix_orders_symbol_created');
      });
      await db.schema.createTable(TRADES_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('trade_id', 80).primary();
        t.string('shard_id', 64).notNullable();
        t.bigInteger('seq').unsigned().notNullable();
        t.string('symbol', 32).notNullable();
        t.decimal('price', 36, 18).notNullable();
        t.decimal('quantity', 36, 18).notNullable();
        t.string('taker_order_id', 64).notNullable();
        t.string('maker_order_id', 64).notNullable();
        t.string('taker_user_id', 64).notNullable();
        t.string('maker_user_id', 64).notNullable();
        t.string('taker_side', 4).notNullable();
        t.datetime('executed_at', { precision: 3 }).notNullable();
        // trade_id is `<shard>-<seq>`, so the primary key already makes (shard_id, seq) unique. Every secondary index
        // is paid on each insert at thousands of trades a second: only the gateway's queries get one — a symbol's
        // trades over time, and a user's trades on either side.
        t.index(['symbol', 'executed_at'], 'ix_trades_symbol_executed');
        t.index(['taker_user_id', 'executed_at'], 'ix_trades_taker_user');
        t.index(['maker_user_id', 'executed_at'], 'ix_trades_maker_user');
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(TRADES_TABLE);
      await db.schema.dropTableIfExists(ORDERS_TABLE);
    },
  },
  {
    name: '20261121-002-engine-snapshots',
    async up(db) {
      await db.schema.createTable(SNAPSHOTS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.bigIncrements('id');
        t.string('shard_id', 64).notNullable();
        /** The last event sequence number the snapshot includes. */
        t.bigInteger('seq').unsigned().notNullable();
        /** JSON: { "<topic>": { "<partition>": nextOffset } } — where replay starts. */
        t.text('offsets').notNullable();
        /** gzip of the JSON engine state. */
        t.specificType('state', 'LONGBLOB').notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['shard_id', 'id'], 'ix_engine_snapshots_shard');
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(SNAPSHOTS_TABLE);
    },
  },
];

type Migration = (typeof MIGRATIONS)[number];

/** knex's MigrationSource over the list above. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};
