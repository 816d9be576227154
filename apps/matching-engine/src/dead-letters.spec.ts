import type { ConsumedMessage } from '@shardex/kafka';
import {
  DLQ_CODE,
  DLQ_ENCODING,
  DLQ_ORIGINAL_BYTES,
  DLQ_SOURCE,
  deadLetterRecord,
  MAX_DLQ_VALUE_BYTES,
  sniffOrder,
} from './dead-letters';

const msg = (value: Buffer | null, headers: Record<string, string> = {}): ConsumedMessage => ({
  topic: 'in',
  partition: 0,
  offset: '42',
  key: Buffer.from('TEST'),
  value,
  headers,
});

describe('dead letters', () => {
  it('keeps the original key, value and headers, and says why and from where', () => {
    const r = deadLetterRecord(
      'dlq',
      msg(Buffer.from('not json'), { 'shardex-schema-version': '1' }),
      'CODEC_ERR_MALFORMED',
      'bad',
    );
    expect(r).toEqual({
      topic: 'dlq',
      key: 'TEST',
      value: 'not json',
      headers: {
        'shardex-schema-version': '1',
        [DLQ_CODE]: 'CODEC_ERR_MALFORMED',
        'shardex-dlq-reason': 'bad',
        [DLQ_SOURCE]: 'in:0:42',
      },
    });
  });

  it('cuts a huge value to a size the broker always takes, saying how big it was', () => {
    const r = deadLetterRecord('dlq', msg(Buffer.alloc(2_000_000, 0x61)), 'CODEC_ERR_MALFORMED', 'x'.repeat(5000));
    expect(Buffer.byteLength(r.value)).toBe(MAX_DLQ_VALUE_BYTES);
    expect(r.headers[DLQ_ORIGINAL_BYTES]).toBe('2000000');
    expect(r.headers['shardex-dlq-reason']?.length).toBe(1000);
  });

  it('keeps a binary value intact as base64 instead of mangling it into text', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
    const r = deadLetterRecord('dlq', msg(bytes), 'CODEC_ERR_MALFORMED', 'binary');
    expect(r.headers[DLQ_ENCODING]).toBe('base64');
    expect(Buffer.from(r.value, 'base64')).toEqual(bytes);
  });

  it('names the order in a message it can partly read, and nothing in one it cannot', () => {
    expect(
      sniffOrder(Buffer.from('{"commandId":"c1","payload":{"orderId":"o1","userId":"u","symbol":"S","side":"UP"}}')),
    ).toEqual({
      orderId: 'o1',
      userId: 'u',
      symbol: 'S',
      commandId: 'c1',
    });
    expect(sniffOrder(Buffer.from('{"payload":{"orderId":""}}'))).toEqual({});
    // A malformed CANCEL_ALL_ORDERS names no order: it goes to the dead-letter topic, like any unnamed poison.
    expect(
      sniffOrder(Buffer.from('{"commandId":"c2","code":"CANCEL_ALL_ORDERS","payload":{"userId":"u","symbol":"s"}}')),
    ).toEqual({});
    expect(sniffOrder(Buffer.from('null'))).toEqual({});
    expect(sniffOrder(null)).toEqual({});
  });
});
