import { isUtf8 } from 'node:buffer';
import type { ConsumedMessage } from '@shardex/kafka';
import type { OutgoingRecord } from '@shardex/order-router';

/** Headers a dead-letter record adds to the original message's. */
export const DLQ_CODE = 'shardex-dlq-code';
export const DLQ_REASON = 'shardex-dlq-reason';
/** `<topic>:<partition>:<offset>` of the original: a replay dead-letters the same message again, and this says so. */
export const DLQ_SOURCE = 'shardex-source';
/** `base64` when the original value was not UTF-8 text (the record's value is then its base64). */
export const DLQ_ENCODING = 'shardex-dlq-encoding';
/** Set when the value was cut to MAX_DLQ_VALUE_BYTES; the original is still at its source offset. */
export const DLQ_ORIGINAL_BYTES = 'shardex-dlq-original-bytes';

/**
 * A dead-letter record keeps at most this much of the original value: a huge poison message copied whole (plus
 * headers) could pass the broker's message size limit, fail every time, and so stop the shard on every replay.
 */
export const MAX_DLQ_VALUE_BYTES = 64 * 1024;

/** The dead-letter record of a message the engine cannot process: the original key, value and headers, plus why. */
export function deadLetterRecord(dlqTopic: string, m: ConsumedMessage, code: string, reason: string): OutgoingRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers))
    if (v !== undefined) headers[k] = ((Array.isArray(v) ? v[0] : v)?.toString() ?? '').slice(0, 1024);
  const raw = m.value ?? Buffer.alloc(0);
  const kept = raw.length > MAX_DLQ_VALUE_BYTES ? raw.subarray(0, MAX_DLQ_VALUE_BYTES) : raw;
  const text = isUtf8(kept);
  return {
    topic: dlqTopic,
    key: (m.key?.toString() ?? '').slice(0, 1024),
    value: text ? kept.toString() : kept.toString('base64'),
    headers: {
      ...headers,
      [DLQ_CODE]: code,
      [DLQ_REASON]: reason.slice(0, 1000),
      [DLQ_SOURCE]: `${m.topic}:${m.partition}:${m.offset}`,
      ...(!text && { [DLQ_ENCODING]: 'base64' }),
      ...(kept !== raw && { [DLQ_ORIGINAL_BYTES]: String(raw.length) }),
    },
  };
}

export interface NamedOrder {
  orderId?: string;
  userId?: string;
  symbol?: string;
  commandId?: string;
}

/** Best effort at naming the order inside an undecodable message, so the client hears a rejection. */
export function sniffOrder(value: Buffer | null): NamedOrder {
  try {
    const body = JSON.parse(value?.toString() ?? '') as { commandId?: unknown; payload?: Record<string, unknown> };
    const p = body?.payload ?? {};
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : undefined);
    const orderId = str(p['orderId']);
    if (orderId === undefined) return {};
    const out: NamedOrder = { orderId };
    const userId = str(p['userId']);
    if (userId) out.userId = userId;
    const symbol = str(p['symbol']);
    if (symbol) out.symbol = symbol;
    const commandId = str(body.commandId);
    if (commandId) out.commandId = commandId;
    return out;
  } catch {
    return {}; // not JSON at all: nothing to name, so the message goes to the dead-letter topic
  }
}
