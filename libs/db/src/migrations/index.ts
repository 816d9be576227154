import type { Knex } from 'knex';
import {
  API_KEYS_TABLE,
  CLIENT_ORDERS_TABLE,
  DEAD_LETTERS_TABLE,
  INPUT_FRONTIER_TABLE,
  INSTRUMENT_SETS_TABLE,
  INSTRUMENTS_TABLE,
  LEASES_TABLE,
  ORDERS_TABLE,
  PRELOAD_JOURNAL_TABLE,
  SNAPSHOT_CHUNKS_TABLE,
  SNAPSHOTS_TABLE,
  TRADES_TABLE,
} from '../tables';

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
  {
    name: '20261123-003-shard-leases',
    async up(db) {
      // One row per shard: who may write for it, under which epoch, until when (by the database's clock, so the
      // processes' clocks never matter). Every write of a shard checks its epoch in the same transaction.
      await db.schema.createTable(LEASES_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('shard_id', 64).primary();
        t.string('owner', 128).notNullable();
        t.bigInteger('epoch').unsigned().notNullable();
        t.datetime('expires_at', { precision: 3 }).notNullable();
        t.datetime('acquired_at', { precision: 3 }).notNullable();
        t.datetime('renewed_at', { precision: 3 }).notNullable();
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(LEASES_TABLE);
    },
  },
  {
    name: '20261123-004-preload-journal',
    async up(db) {
      // Where each preload (lifecycle) message was applied relative to the input topic: the one decision of a
      // shard that is not a function of a single log, recorded before it takes effect so a replay repeats it.
      await db.schema.createTable(PRELOAD_JOURNAL_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('shard_id', 64).notNullable();
        t.bigInteger('preload_offset').unsigned().notNullable();
        /** Applied after every input message below this offset and before any at or above it. */
        t.bigInteger('input_position').unsigned().notNullable();
        t.bigInteger('epoch').unsigned().notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
        t.primary(['shard_id', 'preload_offset']);
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(PRELOAD_JOURNAL_TABLE);
    },
  },
  {
    name: '20261123-005-snapshot-chunks',
    async up(db) {
      // A snapshot is stored as many bounded chunks (each part gzipped JSON) rather than one blob that can pass
      // max_allowed_packet or V8's string limit. `chunks` = 0 marks the older single-blob format in `state`.
      await db.schema.alterTable(SNAPSHOTS_TABLE, (t) => {
        t.bigInteger('epoch').unsigned().notNullable().defaultTo(0);
        t.integer('chunks').unsigned().notNullable().defaultTo(0);
        t.specificType('state', 'LONGBLOB').nullable().alter();
      });
      await db.schema.createTable(SNAPSHOT_CHUNKS_TABLE, (t) => {
        t.bigInteger('snapshot_id').unsigned().notNullable();
        t.integer('idx').unsigned().notNullable();
        t.specificType('data', 'LONGBLOB').notNullable();
        t.primary(['snapshot_id', 'idx']);
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(SNAPSHOT_CHUNKS_TABLE);
      await db(SNAPSHOTS_TABLE).where('chunks', '>', 0).delete();
      await db.schema.alterTable(SNAPSHOTS_TABLE, (t) => {
        t.dropColumn('epoch');
        t.dropColumn('chunks');
        t.specificType('state', 'LONGBLOB').notNullable().alter();
      });
    },
  },
  {
    name: '20261123-006-write-dead-letters',
    async up(db) {
      // Rows the database refused for their content (see libs/write-buffer): kept with the reason, once per row
      // version, so one bad value cannot block every later write of the shard.
      await db.schema.createTable(DEAD_LETTERS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.bigIncrements('id');
        t.string('shard_id', 64).notNullable();
        t.string('kind', 8).notNullable();
        t.string('row_key', 80).notNullable();
        t.bigInteger('version').unsigned().notNullable();
        t.specificType('payload', 'MEDIUMTEXT').notNullable();
        t.string('error_code', 64).notNullable();
        t.integer('errno').nullable();
        t.string('message', 1024).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
        t.unique(['kind', 'row_key', 'version'], { indexName: 'ux_write_dead_letters_row' });
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(DEAD_LETTERS_TABLE);
    },
  },
  {
    name: '20261123-007-row-guards',
    async up(db) {
      // The upserts set `identity_conflict` to 1 when the incoming row differs from the stored one where it must
      // not (see ORDER_IDENTITY_COLUMNS, TRADE_IMMUTABLE_COLUMNS); the CHECK then refuses the statement. Both MySQL
      // 8.0.16+ and MariaDB 10.2+ enforce CHECK constraints on INSERT ... ON DUPLICATE KEY UPDATE.
      await db.raw(
        `ALTER TABLE ?? ADD COLUMN writer_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
           ADD COLUMN identity_conflict TINYINT NOT NULL DEFAULT 0,
           ADD CONSTRAINT ck_orders_identity_unchanged CHECK (identity_conflict = 0)`,
        [ORDERS_TABLE],
      );
      await db.raw(
        `ALTER TABLE ?? ADD COLUMN writer_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
           ADD COLUMN identity_conflict TINYINT NOT NULL DEFAULT 0,
           ADD CONSTRAINT ck_trades_immutable CHECK (identity_conflict = 0)`,
        [TRADES_TABLE],
      );
    },
    async down(db) {
      for (const [table, check] of [
        [ORDERS_TABLE, 'ck_orders_identity_unchanged'],
        [TRADES_TABLE, 'ck_trades_immutable'],
      ] as const) {
        await db.raw(`ALTER TABLE ?? DROP CONSTRAINT ${check}`, [table]);
        await db.raw('ALTER TABLE ?? DROP COLUMN identity_conflict, DROP COLUMN writer_epoch', [table]);
      }
    },
  },
  {
    name: '20261123-008-input-frontier',
    async up(db) {
      // How far the input topic has been applied with its events released to Kafka: recorded (fenced) before they
      // are sent, so a later incarnation places no new preload message below it — below it, events may be out.
      await db.schema.createTable(INPUT_FRONTIER_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('shard_id', 64).primary();
        t.bigInteger('input_position').unsigned().notNullable();
        t.bigInteger('epoch').unsigned().notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(INPUT_FRONTIER_TABLE);
    },
  },
  {
    name: '20261124-009-api-keys',
    async up(db) {
      // The gateway's API keys: a public id and the SHA-256 of the secret, never the secret (see api-keys.ts).
      // Revocation stamps revoked_at rather than deleting the row, so a revoked id is never issued again and its
      // history stays readable.
      await db.schema.createTable(API_KEYS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('key_id', 32).primary();
        t.string('user_id', 64).notNullable();
        t.specificType('secret_hash', 'BINARY(32)').notNullable();
        t.string('label', 128).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
        t.datetime('revoked_at', { precision: 3 }).nullable();
        // Listing a user's keys, oldest first. Verification reads by the primary key.
        t.index(['user_id', 'created_at'], 'ix_api_keys_user_created');
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(API_KEYS_TABLE);
    },
  },
  {
    name: '20261124-010-client-orders',
    async up(db) {
      // The gateway's clientOrderId idempotency (see client-orders.ts): one row per (user, clientOrderId), holding
      // the order id and the exact command sent for it, so a retry gets the original order, never a second one.
      await db.schema.createTable(CLIENT_ORDERS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.string('user_id', 64).notNullable();
        t.string('client_order_id', 64).notNullable();
        t.string('order_id', 64).notNullable();
        t.string('symbol', 32).notNullable();
        /** The JSON of the command as sent: a retry re-sends exactly this. */
        t.specificType('command', 'MEDIUMTEXT').notNullable();
        t.string('state', 8).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('sent_at', { precision: 3 }).nullable();
        t.primary(['user_id', 'client_order_id']);
        // An order id belongs to one reservation only: a reused one is refused, never mapped twice.
        t.unique(['order_id'], { indexName: 'ux_client_orders_order_id' });
        // The purge deletes the oldest rows first, in bounded batches.
        t.index(['created_at'], 'ix_client_orders_created');
      });
      // As in 20261123-007: MySQL 8.0.16+ and MariaDB 10.2+ both accept and enforce named CHECK constraints.
      await db.raw(
        `ALTER TABLE ?? ADD CONSTRAINT ck_client_orders_state CHECK (state IN ('pending', 'sent')),
           ADD CONSTRAINT ck_client_orders_sent_at CHECK ((state = 'sent') = (sent_at IS NOT NULL))`,
        [CLIENT_ORDERS_TABLE],
      );
    },
    async down(db) {
      await db.schema.dropTableIfExists(CLIENT_ORDERS_TABLE);
    },
  },
  {
    name: '20261124-011-instruments',
    async up(db) {
      // The instrument registry (see instruments.ts): each `orchestrator init` stores its whole instrument set as
      // a new version, with the shard owning each instrument; rows are never updated, old versions are pruned.
      await db.schema.createTable(INSTRUMENT_SETS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.bigInteger('version').unsigned().primary();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.string('created_by', 128).nullable();
        t.integer('instrument_count').unsigned().notNullable();
      });
      // No foreign key: a version's rows are written and pruned in the same transaction as its set row, which is
      // what keeps them together; a key would only add a parent-row check to each of thousands of inserts.
      await db.schema.createTable(INSTRUMENTS_TABLE, (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
        t.bigInteger('version').unsigned().notNullable();
        t.string('symbol', 32).notNullable();
        t.string('shard_id', 64).notNullable();
        /** The JSON of the InstrumentSpec as published (defaults not filled in). */
        t.text('spec').notNullable();
        t.primary(['version', 'symbol']);
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists(INSTRUMENTS_TABLE);
      await db.schema.dropTableIfExists(INSTRUMENT_SETS_TABLE);
    },
  },
  {
    name: '20261124-012-order-and-fill-queries',
    async up(db) {
      // The gateway's read side (see order-queries.ts). Each statement is one ALTER, so a failure leaves the table
      // as it was rather than half changed; InnoDB adds and drops secondary indexes in place on both servers.
      //
      // orders: a user's orders newest first without a status filter. ix_orders_user_status_created cannot give
      // that order (status comes before created_at), so the listing would sort every order the user ever placed on
      // each page. created_at never changes, so this index costs one entry per new order and nothing on the many
      // status updates. InnoDB appends the primary key (order_id) to it, which is the listing's tie-break.
      await db.raw('ALTER TABLE ?? ADD INDEX ix_orders_user_created (user_id, created_at)', [ORDERS_TABLE]);
      // trades: the listings order by (executed_at, shard_id, seq) — one taker command's trades share executed_at,
      // and trade_id ('<shard>-<seq>') sorts seq 10 before seq 9 as a string. The three indexes of the first
      // migration are replaced by the same ones with (shard_id, seq) appended, so the order and the page boundary
      // come from the index (no sort of the user's whole history) at no extra index on the insert path.
      await db.raw(
        `ALTER TABLE ??
           ADD INDEX ix_trades_symbol_time (symbol, executed_at, shard_id, seq),
           ADD INDEX ix_trades_taker_time (taker_user_id, executed_at, shard_id, seq),
           ADD INDEX ix_trades_maker_time (maker_user_id, executed_at, shard_id, seq),
           DROP INDEX ix_trades_symbol_executed,
           DROP INDEX ix_trades_taker_user,
           DROP INDEX ix_trades_maker_user`,
        [TRADES_TABLE],
      );
    },
    async down(db) {
      await db.raw(
        `ALTER TABLE ??
           ADD INDEX ix_trades_symbol_executed (symbol, executed_at),
           ADD INDEX ix_trades_taker_user (taker_user_id, executed_at),
           ADD INDEX ix_trades_maker_user (maker_user_id, executed_at),
           DROP INDEX ix_trades_symbol_time,
           DROP INDEX ix_trades_taker_time,
           DROP INDEX ix_trades_maker_time`,
        [TRADES_TABLE],
      );
      await db.raw('ALTER TABLE ?? DROP INDEX ix_orders_user_created', [ORDERS_TABLE]);
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
