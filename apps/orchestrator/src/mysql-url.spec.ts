import { OrchestratorError } from './errors';
import { redactUrl, resolveMysqlUrl } from './mysql-url';

function usageError(f: () => unknown): OrchestratorError {
  try {
    f();
  } catch (err) {
    if (err instanceof OrchestratorError) return err;
    throw err;
  }
  throw new Error('expected an OrchestratorError');
}

describe('MySQL URL', () => {
  const good = 'mysql://app:s3cret@db.internal:3306/shardex';

  it('takes --mysql-url over MYSQL_URL, and MYSQL_URL when there is no flag', () => {
    expect(resolveMysqlUrl(good, { MYSQL_URL: 'mysql://other:x@h/db' })).toBe(good);
    expect(resolveMysqlUrl(undefined, { MYSQL_URL: good })).toBe(good);
  });

  it('is a usage error naming both sources when neither is set (an empty variable is unset)', () => {
    for (const env of [{}, { MYSQL_URL: '' }]) {
      const err = usageError(() => resolveMysqlUrl(undefined, env));
      expect(err.code).toBe('ORCH_ERR_USAGE');
      expect(err.message).toContain('--mysql-url');
      expect(err.message).toContain('MYSQL_URL');
    }
  });

  it.each([
    ['not a url:s3cret'],
    ['app:s3cret@db.internal:3306/shardex'],
    ['mysql:/app:s3cret@db.internal/shardex'],
    ['postgres://app:s3cret@db/shardex'],
    ['mysql://app:s3cret@db.internal:3306/'],
    ['mysql://db.internal/shardex'],
    ['mysql://app:s3cret@db.internal:99999/shardex'],
    [''],
  ])('is a usage error naming its source, without the password, for %j', (bad) => {
    const fromFlag = usageError(() => resolveMysqlUrl(bad, { MYSQL_URL: good }));
    expect(fromFlag.code).toBe('ORCH_ERR_USAGE');
    expect(fromFlag.message).toMatch(
      /^ORCH_ERR_USAGE: --mysql-url must be mysql:\/\/user:password@host:port\/database/,
    );
    if (bad !== '') {
      const fromEnv = usageError(() => resolveMysqlUrl(undefined, { MYSQL_URL: bad }));
      expect(fromEnv.message).toMatch(/^ORCH_ERR_USAGE: MYSQL_URL must be/);
      expect(fromEnv.message).not.toContain('s3cret');
    }
    expect(fromFlag.message).not.toContain('s3cret');
  });

  it('redacts only the password', () => {
    expect(redactUrl(good)).toBe('mysql://app:***@db.internal:3306/shardex');
    expect(redactUrl('mysql://app:p@ss@db/x')).toBe('mysql://app:***@db/x');
    expect(redactUrl('mysql://app@db/x')).toBe('mysql://app@db/x');
    expect(redactUrl('app:s3cret@db')).toBeUndefined();
  });
});
