import {
  compileInstrument,
  instrumentSpec,
  eventEnvelopeSchema,
  initializeEnginePayloadSchema,
  type Instrument,
  type InstrumentSpec,
} from '@shardex/contracts';
import type { Knex } from 'knex';
import { DbError, isDuplicateKey, isTransactionConflict } from './errors';
import { stringRule } from './string-rules';
import { INSTRUMENT_SETS_TABLE, INSTRUMENTS_TABLE, utcDatetime } from './tables';

/**
 * The instrument registry: every instrument set `orchestrator init` broadcasts is first stored here as one new,
 * immutable *version*, with the shard that owns each instrument. The gateway loads the newest version at start and
 * polls `latestVersion()` to notice a new one, so it validates orders against exactly what the engines were sent.
 *
 * A version is written in one transaction (the set row and all its instruments), so a reader sees all of a version
 * or none of it; it is never changed afterwards, only pruned once newer ones exist.
 */

/** The shard id rule of the events (libs/contracts): every id the shard map accepts passes it. */
const SHARD_ID = stringRule(eventEnvelopeSchema.properties.shardId);
/** One INITIALIZE_ENGINE carries at most this many instruments: a shard owning more could never be initialised. */
const MAX_INSTRUMENTS_PER_SHARD = initializeEnginePayloadSchema.properties.instruments.maxItems;
const CREATED_BY_MAX_LENGTH = 128;
// C0 and C1 control characters: `created_by` is shown on one line in lists and logs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** Versions are BIGINT UNSIGNED in MySQL and numbers here: the API stops where a number stops being exact. */
const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/** An instrument to publish: its spec as configured and the shard that owns it. */
export interface InstrumentAssignment {
  spec: InstrumentSpec;
  /** 1-64 characters of [A-Za-z0-9._:-] (the shard ids of the events). */
  shardId: string;
}

export interface InstrumentSetToPublish {
  /** The whole set: every instrument of every shard, each symbol once. */
  instruments: ReadonlyArray<InstrumentAssignment>;
  /** When it is published (the operator's clock), stored with millisecond precision. */
  at: Date;
  /** Who published it (an operator, a host), 1-128 characters without control characters; optional. */
  createdBy?: string;
}

/** A stored version, its specs compiled. */
export interface InstrumentSet {
  version: number;
  createdAt: Date;
  createdBy: string | null;
  /** Ordered by symbol. */
  instruments: Array<{ instrument: Instrument; shardId: string }>;
}

export interface InstrumentRegistry {
  /**
   * Stores the set as the next version (1 for the first, then the newest + 1) and returns it. The whole set is
   * checked first: any invalid spec or shard id, a symbol listed twice or an empty set refuses all of it with one
   * DB_ERR_INSTRUMENTS_INVALID listing every problem (also in `problems`), before any query.
   */
  publish(set: InstrumentSetToPublish): Promise<{ version: number }>;
  /** The newest version, undefined while none is stored: one primary-key lookup, cheap enough to poll. */
  latestVersion(): Promise<number | undefined>;
  /**
   * A version (the newest when none is given), or undefined when it does not exist. A stored set that cannot be
   * read back whole (a spec that no longer compiles, rows missing) throws DB_ERR_INSTRUMENTS_CORRUPT naming the
   * version and the symbol: an instrument is never silently left out.
   */
  load(version?: number): Promise<InstrumentSet | undefined>;
  /**
   * Deletes every version older than the newest `keep` (default 20, at least 1: the newest is never deleted), one
   * transaction per version so a reader never sees part of one; returns how many versions it deleted.
   */
  prune(keep?: number): Promise<number>;
}

export interface InstrumentRegistryOptions {
  /** Instrument rows per INSERT statement; default 500 (a few hundred KB, far below max_allowed_packet). */
  insertBatchSize?: number;
  /** Attempts of `publish` when a concurrent publish took the same version or a deadlock ended it; default 20. */
  maxAttempts?: number;
}

/** DB_ERR_INSTRUMENTS_INVALID, with each problem on its own for callers that list them (the operator's CLI). */
export class InstrumentSetInvalidError extends DbError {
  constructor(readonly problems: readonly string[]) {
    super(
      'DB_ERR_INSTRUMENTS_INVALID',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the instrument set: ${problems.join('; ')}`,
    );
  }
}

interface CheckedSet {
  rows: Array<{ symbol: string; shard_id: string; spec: string }>;
  createdAt: string;
  createdBy: string | null;
}

/**
 * Checks the whole input and collects every problem rather than stopping at the first: the operator fixes the file
 * once, not once per mistake.
 */
function checkInstrumentSet(input: unknown): CheckedSet {
  const set = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<string, unknown>>;
  const problems: string[] = [];

  let createdAt = '';
  if (!(set['at'] instanceof Date)) problems.push('at must be a Date');
  else
    try {
      createdAt = utcDatetime(set['at'].getTime());
    } catch {
      problems.push('at must be a valid date in years 1000-9999');
    }

  const createdBy = set['createdBy'] ?? null;
  if (
    createdBy !== null &&
    (typeof createdBy !== 'string' ||
      createdBy.length === 0 ||
      createdBy.length > CREATED_BY_MAX_LENGTH ||
      CONTROL_CHARACTERS.test(createdBy))
  )
    problems.push(`createdBy must be 1-${CREATED_BY_MAX_LENGTH} characters without control characters`);

  const entries = set['instruments'];
  const rows: CheckedSet['rows'] = [];
  if (!Array.isArray(entries)) problems.push('instruments must be an array');
  else if (entries.length === 0) problems.push('the set is empty: it must hold at least one instrument');
  else {
    const positions = new Map<string, number[]>();
    const perShard = new Map<string, number>();
    entries.forEach((entry: unknown, i) => {
      const at = `instruments[${i}]`;
      if (typeof entry !== 'object' || entry === null) {
        problems.push(`${at}: must be an object { spec, shardId }`);
        return;
      }
      const { spec, shardId } = entry as Partial<Record<string, unknown>>;
      const rawSymbol = (spec as Partial<Record<string, unknown>> | null | undefined)?.['symbol'];
      const symbol = typeof rawSymbol === 'string' ? rawSymbol : undefined;
      if (symbol !== undefined) positions.set(symbol, [...(positions.get(symbol) ?? []), i]);
      const compiled = compileInstrument(spec);
      if (!compiled.ok) problems.push(`${at}: ${compiled.message}`);
      const shardOk = SHARD_ID.test(shardId);
      if (!shardOk)
        problems.push(
          `${at}: instrument ${symbol ?? '?'}: shardId ${JSON.stringify(shardId) ?? 'undefined'} must be ${SHARD_ID.describe}`,
        );
      else perShard.set(shardId, (perShard.get(shardId) ?? 0) + 1);
      if (!compiled.ok || !shardOk) return;
      // The spec with every default filled in, as this build compiled it: a later build with other defaults still
      // reads the instrument the shards were given (init broadcasts this same normalised form). Only known fields,
      // each bounded (amounts ≤ 64 characters): its JSON fits a TEXT easily.
      rows.push({
        symbol: compiled.value.symbol,
        shard_id: shardId,
        spec: JSON.stringify(instrumentSpec(compiled.value)),
      });
    });
    for (const [symbol, where] of positions)
      if (where.length > 1)
        problems.push(
          `instrument ${symbol}: listed ${where.length} times (${where.map((i) => `instruments[${i}]`).join(', ')})`,
        );
    for (const [shardId, count] of perShard)
      if (count > MAX_INSTRUMENTS_PER_SHARD)
        problems.push(
          `shard ${shardId}: owns ${count} instruments, more than one INITIALIZE_ENGINE carries (${MAX_INSTRUMENTS_PER_SHARD})`,
        );
  }

  if (problems.length > 0) throw new InstrumentSetInvalidError(problems);
  return { rows, createdAt, createdBy: createdBy as string | null };
}

function checkVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new DbError(
      'DB_ERR_INSTRUMENTS_INVALID',
      `version must be an integer from 1 to ${MAX_VERSION}, got ${String(version)}`,
    );
  return version;
}

interface LoadedRow {
  version: string;
  created_at: Date;
  created_by: string | null;
  instrument_count: number;
  symbol: string | null;
  shard_id: string | null;
  spec: string | null;
}

function corrupt(version: number, message: string, cause?: unknown): DbError {
  return new DbError('DB_ERR_INSTRUMENTS_CORRUPT', `instrument set version ${version}: ${message}`, { cause });
}

/** Rows of one version (the join below) → the set, or a coded error: nothing is skipped. */
function toInstrumentSet(rows: LoadedRow[]): InstrumentSet | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const version = Number(first.version);
  const instruments: InstrumentSet['instruments'] = [];
  for (const row of rows) {
    if (row.symbol === null || row.shard_id === null || row.spec === null) continue; // the LEFT JOIN of no rows
    let spec: unknown;
    try {
      spec = JSON.parse(row.spec);
    } catch (cause) {
      throw corrupt(version, `instrument ${row.symbol}: the stored spec is not JSON`, cause);
    }
    const compiled = compileInstrument(spec);
    if (!compiled.ok) throw corrupt(version, `the stored spec no longer compiles: ${compiled.message}`);
    if (compiled.value.symbol !== row.symbol)
      throw corrupt(version, `instrument ${row.symbol}: the stored spec is of ${compiled.value.symbol}`);
    instruments.push({ instrument: compiled.value, shardId: row.shard_id });
  }
  if (instruments.length !== first.instrument_count)
    throw corrupt(version, `${instruments.length} instruments stored, the set row says ${first.instrument_count}`);
  return { version, createdAt: first.created_at, createdBy: first.created_by, instruments };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createInstrumentRegistry(
  db: Knex,
  { insertBatchSize = 500, maxAttempts = 20 }: InstrumentRegistryOptions = {},
): InstrumentRegistry {
  if (!Number.isSafeInteger(insertBatchSize) || insertBatchSize < 1)
    throw new DbError('DB_ERR_CONFIG', `insertBatchSize must be an integer >= 1, got ${insertBatchSize}`);
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1)
    throw new DbError('DB_ERR_CONFIG', `maxAttempts must be an integer >= 1, got ${maxAttempts}`);

  const publishOnce = (set: CheckedSet) =>
    db.transaction(async (trx) => {
      // A locking read sees the newest *committed* version, whatever this transaction's snapshot. Two publishes may
      // still both read it (or, on an empty table, both lock the same gap): the primary key then lets one insert
      // the next version, and the other fails with a duplicate key or a deadlock and runs again (see publish).
      const [top] = (await trx.raw('SELECT version FROM ?? ORDER BY version DESC LIMIT 1 FOR UPDATE', [
        INSTRUMENT_SETS_TABLE,
      ])) as [Array<{ version: string }>];
      const version = top[0] === undefined ? 1 : Number(top[0].version) + 1;
      // The set row first: a colliding publish fails here, before it has written thousands of instrument rows.
      await trx(INSTRUMENT_SETS_TABLE).insert({
        version,
        created_at: set.createdAt,
        created_by: set.createdBy,
        instrument_count: set.rows.length,
      });
      for (let i = 0; i < set.rows.length; i += insertBatchSize)
        await trx(INSTRUMENTS_TABLE).insert(set.rows.slice(i, i + insertBatchSize).map((r) => ({ version, ...r })));
      return version;
    });

  return {
    async publish(input) {
      const set = checkInstrumentSet(input);
      for (let attempt = 1; ; attempt++) {
        try {
          return { version: await publishOnce(set) };
        } catch (err) {
          if (attempt >= maxAttempts || !(isDuplicateKey(err) || isTransactionConflict(err))) throw err;
          // Jittered, growing pause: publishes that collided do not collide again in lock-step.
          await sleep(Math.random() * Math.min(100, 5 * attempt));
        }
      }
    },

    async latestVersion() {
      // MAX over the primary key: the optimiser answers it from the index's last entry ("Select tables optimized
      // away"), without reading any row.
      const [rows] = (await db.raw('SELECT MAX(version) AS v FROM ??', [INSTRUMENT_SETS_TABLE])) as [
        Array<{ v: string | null }>,
      ];
      const v = rows[0]?.v;
      return v === null || v === undefined ? undefined : Number(v);
    },

    async load(version) {
      const wanted = version === undefined ? undefined : checkVersion(version);
      // One statement, so one consistent read on any isolation level: the set row and its instruments together,
      // never a set row whose instruments a concurrent prune has just deleted.
      const [rows] = (await db.raw(
        `SELECT s.version, s.created_at, s.created_by, s.instrument_count, i.symbol, i.shard_id, i.spec
           FROM ?? s LEFT JOIN ?? i ON i.version = s.version
          WHERE s.version = ${wanted === undefined ? '(SELECT MAX(version) FROM ??)' : '?'}
          ORDER BY i.symbol`,
        [INSTRUMENT_SETS_TABLE, INSTRUMENTS_TABLE, wanted ?? INSTRUMENT_SETS_TABLE],
      )) as [LoadedRow[]];
      return toInstrumentSet(rows);
    },

    async prune(keep = 20) {
      if (!Number.isSafeInteger(keep) || keep < 1)
        throw new DbError('DB_ERR_CONFIG', `keep must be an integer >= 1, got ${keep}`);
      // The oldest version kept; every one below it goes. Versions only ever grow, so a publish meanwhile is safe.
      const [kept] = (await db.raw('SELECT version FROM ?? ORDER BY version DESC LIMIT 1 OFFSET ?', [
        INSTRUMENT_SETS_TABLE,
        keep - 1,
      ])) as [Array<{ version: string }>];
      const oldestKept = kept[0]?.version;
      if (oldestKept === undefined) return 0;
      const old = (await db(INSTRUMENT_SETS_TABLE)
        .where('version', '<', oldestKept)
        .orderBy('version')
        .select('version')) as Array<{ version: string }>;
      for (const { version } of old)
        await db.transaction(async (trx) => {
          await trx(INSTRUMENTS_TABLE).where({ version }).delete();
          await trx(INSTRUMENT_SETS_TABLE).where({ version }).delete();
        });
      return old.length;
    },
  };
}
