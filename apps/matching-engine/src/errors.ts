import { CodedError } from '@shardex/contracts';

/** Errors of the shard process; DLQ records carry ENGINE_ERR_WRONG_TOPIC in their code header. */
export const ENGINE_ERROR_CODES = {
  ENGINE_ERR_CONFIG:
    'The environment does not describe a runnable shard (a missing or malformed variable, a shard id not in the map).',
  ENGINE_ERR_TOPIC:
    "A shard topic is unusable: the input or preload topic has more than one partition, or a snapshot's offset lies past the topic's end (the topic was recreated).",
  ENGINE_ERR_WRONG_TOPIC:
    'Dead-letter code: an order command arrived on the preload topic, which carries lifecycle commands only.',
  ENGINE_ERR_JOURNAL:
    'The preload journal does not match the preload topic (an offset read with no recorded position while a later one has one).',
  ENGINE_ERR_ORDER:
    'An internal ordering invariant broke (a message applied behind its position); the shard restarts from its snapshot.',
  ENGINE_ERR_FENCED:
    'This process no longer owns the shard: its lease epoch was superseded, or the consumer group gave the topics to a newer member. It stops writing and becomes a standby.',
  ENGINE_ERR_LEASE_EXPIRED:
    'The lease could not be renewed within its time to live (the database unreachable); the process stops writing.',
  ENGINE_ERR_CONSUMER:
    'The Kafka consume loop stopped for good (a non-retriable error); the shard restarts from its snapshot.',
  ENGINE_ERR_SNAPSHOT: 'A stored snapshot cannot be restored (inconsistent book and order statics, unknown format).',
  ENGINE_ERR_STALLED:
    'A durability step (acknowledgements, a flush, a journal or frontier record, a snapshot) outlasted CHECKPOINT_TIMEOUT_MS: a hung connection; the incarnation restarts.',
  ENGINE_ERR_STOPPING: 'The shard is stopping; the work in progress is abandoned to the next start.',
} as const;

export type EngineErrorCode = keyof typeof ENGINE_ERROR_CODES;

export class EngineError extends CodedError<EngineErrorCode> {
  override readonly name = 'EngineError';
}
