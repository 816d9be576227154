import type { ConsumedMessage } from '@shardex/kafka';
import type { OutgoingRecord } from '@shardex/order-router';

/** Headers a dead-letter record adds to the original message's. */
export const DLQ_CODE = 'shardex-dlq-code';
export const DLQ_REASON = 'shardex-dlq-reason';
/** `<topic>:<partition>:<offset>` of the original: a replay dead-letters the same message again, and this says so. */
export const DLQ_SOURCE = 'shardex-source';

/** The dead-letter record of a message the engine cannot process: the original key, value and headers, plus why. */
export function deadLetterRecord(dlqTopic: string, m: ConsumedMessage, code: string, reason: string): OutgoingRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers))
    if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0] : v)?.toString() ?? '';
  return {
    topic: dlqTopic,
    key: m.key?.toString() ?? '',
    value: m.value?.toString() ?? '',
    headers: {
      ...headers,
      [DLQ_CODE]: code,
      [DLQ_REASON]: reason.slice(0, 1000),
      [DLQ_SOURCE]: `${m.topic}:${m.partition}:${m.offset}`,
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
