import Ajv, { type ValidateFunction } from 'ajv';
import { COMMAND_CODES, type Command, type CommandCode, isLifecycleCommand } from './commands';
import { type CodecErrorCode, fail, ok, type Result } from './errors';
import { EVENT_CODES, type EngineEvent } from './events';
import { commandEnvelopeSchema, commandPayloadSchemas, eventEnvelopeSchema } from './schemas';

/** Version of the JSON bodies below; a reader refuses versions it does not know instead of guessing. */
export const SCHEMA_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];
export const HEADER_CODE = 'shardex-code';
export const HEADER_VERSION = 'shardex-schema-version';
/** Key of lifecycle commands: one key, so they stay in order on a partitioned preload topic. */
export const LIFECYCLE_KEY = 'lifecycle';

/** A Kafka message as our producer port takes it. */
export interface EncodedMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** A Kafka message as a consumer hands it over (kafkajs shapes accepted). */
export interface IncomingMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
}

const ajv = new Ajv({ allErrors: false, strict: true });
const validateEnvelope = ajv.compile(commandEnvelopeSchema);
const validatePayload = Object.fromEntries(
  Object.entries(commandPayloadSchemas).map(([code, schema]) => [code, ajv.compile(schema)]),
) as Record<CommandCode, ValidateFunction>;
const validateEventEnvelope = ajv.compile(eventEnvelopeSchema);

function schemaMessage(v: ValidateFunction, where: string): string {
  const e = v.errors?.[0];
  return e ? `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}` : `${where} is invalid`;
}

/**
 * A short, safe rendering of a decoded JSON value for a failure message. `String(value)` is not safe: a body like
 * `{"code":{"toString":1}}` makes it throw, and the codec promises failures as values, never throws.
 */
function preview(value: unknown): string {
  if (typeof value === 'string') return value.length > 64 ? `${value.slice(0, 64)}…` : value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

function header(msg: IncomingMessage, name: string): string | undefined {
  const h = msg.headers?.[name];
  const first = Array.isArray(h) ? h[0] : h;
  return first === undefined ? undefined : first.toString();
}

/** Headers and key shared by commands and events: code + version, and a version this build reads. */
function readVersioned(
  msg: IncomingMessage,
): Result<{ body: Record<string, unknown>; code: string | undefined }, CodecErrorCode> {
  const version = header(msg, HEADER_VERSION);
  if (version === undefined || !SUPPORTED_VERSIONS.includes(Number(version)) || !/^\d+$/.test(version)) {
    return fail(
      'CODEC_ERR_UNKNOWN_VERSION',
      `schema version ${version === undefined ? '(missing)' : `"${version}"`} is not one of ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  if (msg.value === null || msg.value.length === 0) return fail('CODEC_ERR_MALFORMED', 'message has no body');
  let body: unknown;
  try {
    body = JSON.parse(msg.value.toString());
  } catch (err) {
    return fail('CODEC_ERR_MALFORMED', `body is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail('CODEC_ERR_MALFORMED', 'body is not a JSON object');
  return ok({ body: body as Record<string, unknown>, code: header(msg, HEADER_CODE) });
}

/** The Kafka key of a command: its symbol for an order command (one partition order per symbol), else LIFECYCLE_KEY. */
export function commandKey(command: Command): string {
  return isLifecycleCommand(command) ? LIFECYCLE_KEY : command.payload.symbol;
}

export function encodeCommand(command: Command): EncodedMessage {
  return {
    key: commandKey(command),
    value: JSON.stringify({
      commandId: command.commandId,
      code: command.code,
      issuedAt: command.issuedAt,
      payload: command.payload,
    }),
    headers: { [HEADER_CODE]: command.code, [HEADER_VERSION]: String(SCHEMA_VERSION) },
  };
}

/** Decodes and validates a command; every problem is a coded failure, never a throw. */
export function decodeCommand(msg: IncomingMessage): Result<Command, CodecErrorCode> {
  const read = readVersioned(msg);
  if (!read.ok) return read;
  const { body, code } = read.value;
  if (!COMMAND_CODES.includes(body['code'] as CommandCode)) {
    return fail('CODEC_ERR_UNKNOWN_CODE', `"${preview(body['code'])}" is not a command code`);
  }
  if (code !== undefined && code !== body['code']) {
    return fail('CODEC_ERR_HEADER_MISMATCH', `header says ${code}, body says ${preview(body['code'])}`);
  }
  if (!validateEnvelope(body)) return fail('CODEC_ERR_SCHEMA', schemaMessage(validateEnvelope, 'command'));
  const commandCode = body['code'] as CommandCode;
  const validate = validatePayload[commandCode];
  if (!validate(body['payload'])) return fail('CODEC_ERR_SCHEMA', schemaMessage(validate, `${commandCode} payload`));
  const command = body as unknown as Command;
  const key = msg.key?.toString();
  if (key !== undefined && key !== commandKey(command)) {
    return fail(
      'CODEC_ERR_HEADER_MISMATCH',
      `message key "${key}" does not match ${commandCode} key "${commandKey(command)}"`,
    );
  }
  return ok(command);
}

/** Events are keyed by symbol where they have one (per-symbol order downstream), else by shard. */
export function eventKey(event: EngineEvent): string {
  const p = event.payload as { symbol?: string };
  return p.symbol ?? event.shardId;
}

export function encodeEvent(event: EngineEvent): EncodedMessage {
  return {
    key: eventKey(event),
    value: JSON.stringify(event),
    headers: { [HEADER_CODE]: event.code, [HEADER_VERSION]: String(SCHEMA_VERSION) },
  };
}

export function decodeEvent(msg: IncomingMessage): Result<EngineEvent, CodecErrorCode> {
  const read = readVersioned(msg);
  if (!read.ok) return read;
  const { body, code } = read.value;
  if (!EVENT_CODES.includes(body['code'] as EngineEvent['code'])) {
    return fail('CODEC_ERR_UNKNOWN_CODE', `"${preview(body['code'])}" is not an event code`);
  }
  if (code !== undefined && code !== body['code']) {
    return fail('CODEC_ERR_HEADER_MISMATCH', `header says ${code}, body says ${preview(body['code'])}`);
  }
  if (!validateEventEnvelope(body)) return fail('CODEC_ERR_SCHEMA', schemaMessage(validateEventEnvelope, 'event'));
  return ok(body as unknown as EngineEvent);
}
