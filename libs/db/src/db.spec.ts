import { DB_ERROR_CODES, isConnectionError, isDuplicateKey, isTransactionConflict } from './errors';
import { createDb, isDatabaseUrl, parseDatabaseUrl } from './knex';
import { orderRecord } from './tables';

describe('database URL', () => {
  it('parses user, password, host, port and database', () => {
    expect(parseDatabaseUrl('mysql://app:p%40ss@db.internal:3307/shardex')).toEqual({
      host: 'db.internal',
      port: 3307,
      user: 'app',
      password: 'p@ss',
      database: 'shardex',
    });
  });

  it.each(['postgres://u:p@h/db', 'mysql://u:p@h/', 'nonsense'])(
    'refuses %s with DB_ERR_CONFIG, hiding the password',
    (url) => {
      expect(() => parseDatabaseUrl(url)).toThrow(expect.objectContaining({ code: 'DB_ERR_CONFIG' }));
      expect(() => parseDatabaseUrl(url)).not.toThrow(/:p@/);
    },
  );

  it('isDatabaseUrl answers what parseDatabaseUrl would: the apps’ configs check with it', () => {
    expect(isDatabaseUrl('mysql://u:p@h:3306/db')).toBe(true);
    for (const url of ['postgres://u:p@h/db', 'mysql://u:p@h/', 'mysql://h/', 'mysql://h/db', 'nonsense', ''])
      expect(isDatabaseUrl(url)).toBe(false);
  });

  it('refuses impossible pool bounds before connecting', () => {
    expect(() => createDb({ url: 'mysql://u:p@h/db', poolMin: 5, poolMax: 2 })).toThrow(
      expect.objectContaining({ code: 'DB_ERR_CONFIG' }),
    );
  });
});

describe('error classification', () => {
  it('knows deadlocks and lock-wait timeouts from connection failures', () => {
    expect(isTransactionConflict({ errno: 1213, code: 'ER_LOCK_DEADLOCK' })).toBe(true);
    expect(isTransactionConflict({ errno: 1205 })).toBe(true);
    expect(isTransactionConflict({ errno: 1062 })).toBe(false);
    expect(isConnectionError({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isConnectionError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true })).toBe(true);
    expect(isConnectionError({ name: 'KnexTimeoutError' })).toBe(true);
    expect(isConnectionError({ errno: 2013 })).toBe(true);
    expect(isConnectionError({ errno: 1213 })).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
    expect(isDuplicateKey({ errno: 1062, code: 'ER_DUP_ENTRY' })).toBe(true);
    expect(isDuplicateKey({ errno: 1213 })).toBe(false);
    expect(isDuplicateKey(undefined)).toBe(false);
  });

  it('documents every code', () => {
    for (const doc of Object.values(DB_ERROR_CODES)) expect(doc.length).toBeGreaterThan(15);
  });
});

describe('order records', () => {
  it('put version last so an upsert compares it before changing it', () => {
    const keys = Object.keys(
      orderRecord({
        orderId: 'o',
        shardId: 's',
        userId: 'u',
        symbol: 'X',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        price: '1',
        quantity: '1',
        filledQuantity: '0',
        status: 'NEW',
        postOnly: false,
        reason: null,
        version: 1,
        createdAt: 0,
        updatedAt: 0,
      }),
    );
    expect(keys[keys.length - 1]).toBe('version');
  });
});
