import { DbError } from '@shardex/db';
import { describeError, isUsageError, ORCHESTRATOR_ERROR_CODES, OrchestratorError } from './errors';

describe('orchestrator errors', () => {
  it('documents every code', () => {
    for (const doc of Object.values(ORCHESTRATOR_ERROR_CODES)) expect(doc.length).toBeGreaterThan(15);
  });

  it('tells usage errors from the rest', () => {
    expect(isUsageError(new OrchestratorError('ORCH_ERR_USAGE', 'x'))).toBe(true);
    expect(isUsageError(new OrchestratorError('ORCH_ERR_KEY_NOT_LIVE', 'x'))).toBe(false);
    expect(isUsageError(new Error('ORCH_ERR_USAGE: x'))).toBe(false);
  });

  it('describes an error in one line: code and message, no stack', () => {
    expect(describeError(new DbError('DB_ERR_API_KEY_INVALID', 'user id must be …'))).toBe(
      'DB_ERR_API_KEY_INVALID: user id must be …',
    );
    const refused = Object.assign(new Error(''), { code: 'ECONNREFUSED' });
    expect(describeError(new AggregateError([refused, new Error('connect ECONNREFUSED ::1:3306')], ''))).toBe(
      'ECONNREFUSED; connect ECONNREFUSED ::1:3306',
    );
    expect(describeError('boom')).toBe('boom');
  });
});
