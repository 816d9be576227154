import { CodedError } from '@shardex/contracts';

/** Errors of the orchestrator CLI; `run()` turns ORCH_ERR_USAGE into exit code 2 and every other error into 1. */
export const ORCHESTRATOR_ERROR_CODES = {
  ORCH_ERR_USAGE:
    'The command cannot run as given: a setting is missing or malformed (MySQL URL, Kafka brokers, shard map, --timeout), or the instruments file is invalid (every problem listed, nothing sent). Exit code 2.',
  ORCH_ERR_SHARDS_FAILED:
    'A lifecycle command did not complete on every shard: Kafka refused it, the shard rejected or dead-lettered it, or (with --wait) did not answer in time; the report names each. Exit code 1.',
  ORCH_ERR_TOPICS:
    'topics create could not create a topic, or an existing one does not fit (an input or preload topic with more than one partition, fewer partitions than asked). Exit code 1.',
  ORCH_ERR_KEY_NOT_LIVE:
    'keys revoke named no live API key: no key has that id, or it was revoked before (the store answers both the same way). Exit code 1.',
} as const;

export type OrchestratorErrorCode = keyof typeof ORCHESTRATOR_ERROR_CODES;

export class OrchestratorError extends CodedError<OrchestratorErrorCode> {
  override readonly name = 'OrchestratorError';
}

/** A usage error of ours (not commander's): exit code 2, like commander's own. */
export const isUsageError = (err: unknown): boolean =>
  err instanceof OrchestratorError && err.code === 'ORCH_ERR_USAGE';

/**
 * One line for the operator: the message of a coded error starts with its code; never a stack trace. Node's
 * happy-eyeballs connect failure is an AggregateError with an empty message, so its parts are named instead.
 */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.message === '')
    return err.errors.map((e: unknown) => describeError(e)).join('; ') || 'AggregateError';
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.message !== '') return err.message;
    return typeof code === 'string' ? code : err.name;
  }
  return String(err);
}
