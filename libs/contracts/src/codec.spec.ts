import fc from 'fast-check';
import { decodeCommand, decodeEvent, encodeCommand, encodeEvent, HEADER_CODE, HEADER_VERSION } from './codec';
import type { Command } from './commands';
import type { EngineEvent } from './events';
import { placeOrder, TEST } from './testing';

const place = placeOrder({ orderId: 'o-1', price: '100', quantity: '5' });

describe('command codec', () => {
  it('encodes with the symbol as key and code + version headers, and decodes back', () => {
    const msg = encodeCommand(place);
    expect(msg.key).toBe('TEST');
    expect(msg.headers).toEqual({ [HEADER_CODE]: 'PLACE_ORDER', [HEADER_VERSION]: '1' });
    expect(decodeCommand({ ...msg, value: Buffer.from(msg.value) })).toEqual({ ok: true, value: place });
  });

  it('accepts kafkajs header shapes (Buffers, arrays)', () => {
    const msg = encodeCommand(place);
    const headers = { [HEADER_CODE]: Buffer.from('PLACE_ORDER'), [HEADER_VERSION]: [Buffer.from('1')] };
    expect(decodeCommand({ key: Buffer.from('TEST'), value: Buffer.from(msg.value), headers }).ok).toBe(true);
  });

  it('round-trips lifecycle commands under the lifecycle key', () => {
    const init: Command = {
      commandId: 'i-1',
      code: 'INITIALIZE_ENGINE',
      issuedAt: 1,
      payload: { instruments: [TEST] },
    };
    const msg = encodeCommand(init);
    expect(msg.key).toBe('lifecycle');
    expect(decodeCommand(msg)).toEqual({ ok: true, value: init });
  });

  const encoded = encodeCommand(place);
  it.each([
    [
      'an unknown version',
      { ...encoded, headers: { ...encoded.headers, [HEADER_VERSION]: '2' } },
      'CODEC_ERR_UNKNOWN_VERSION',
    ],
    ['a missing version', { ...encoded, headers: { [HEADER_CODE]: 'PLACE_ORDER' } }, 'CODEC_ERR_UNKNOWN_VERSION'],
    ['a non-JSON body', { ...encoded, value: '{nope' }, 'CODEC_ERR_MALFORMED'],
    ['an empty body', { ...encoded, value: null }, 'CODEC_ERR_MALFORMED'],
    ['a JSON array', { ...encoded, value: '[]' }, 'CODEC_ERR_MALFORMED'],
    [
      'an unknown code',
      { ...encoded, value: encoded.value.replace('PLACE_ORDER', 'PLACE_ORDERS') },
      'CODEC_ERR_UNKNOWN_CODE',
    ],
    [
      'a header/body mismatch',
      { ...encoded, headers: { ...encoded.headers, [HEADER_CODE]: 'CANCEL_ORDER' } },
      'CODEC_ERR_HEADER_MISMATCH',
    ],
    ['a key that is not the symbol', { ...encoded, key: 'ETH-USDT' }, 'CODEC_ERR_HEADER_MISMATCH'],
    ['a missing payload field', { ...encoded, value: encoded.value.replace('"side":"BUY",', '') }, 'CODEC_ERR_SCHEMA'],
    [
      'an extra field',
      { ...encoded, value: encoded.value.replace('"side":"BUY"', '"side":"BUY","hack":1') },
      'CODEC_ERR_SCHEMA',
    ],
    [
      'a numeric price',
      { ...encoded, value: encoded.value.replace('"price":"100"', '"price":100') },
      'CODEC_ERR_SCHEMA',
    ],
    ['a bad side', { ...encoded, value: encoded.value.replace('"BUY"', '"HOLD"') }, 'CODEC_ERR_SCHEMA'],
  ])('refuses %s with a coded failure', (_why, msg, expected) => {
    expect(decodeCommand(msg)).toMatchObject({ ok: false, code: expected });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string()),
        fc.dictionary(fc.string(), fc.string()),
        fc.option(fc.string()),
        (value, headers, key) => {
          const r = decodeCommand({ value, headers: { ...headers, [HEADER_VERSION]: '1' }, key });
          expect(r.ok === false || r.ok === true).toBe(true);
        },
      ),
    );
  });
});

describe('event codec', () => {
  const trade: EngineEvent = {
    shardId: 'shard-1',
    seq: 7,
    code: 'TRADE',
    commandId: 'c-1',
    payload: {
      tradeId: 'shard-1-7',
      symbol: 'TEST',
      price: '100',
      quantity: '2',
      takerOrderId: 'b',
      takerUserId: 'u2',
      makerOrderId: 'a',
      makerUserId: 'u1',
      takerSide: 'BUY',
    },
  };

  it('keys events by symbol and round-trips them', () => {
    const msg = encodeEvent(trade);
    expect(msg.key).toBe('TEST');
    expect(decodeEvent(msg)).toEqual({ ok: true, value: trade });
  });

  it('keys symbol-less events by shard', () => {
    const state: EngineEvent = {
      shardId: 'shard-1',
      seq: 1,
      code: 'ENGINE_STATE',
      payload: { state: 'RUNNING', previous: 'INITIALIZED', symbols: [] },
    };
    expect(encodeEvent(state).key).toBe('shard-1');
  });

  it('refuses unknown versions and codes', () => {
    const msg = encodeEvent(trade);
    expect(decodeEvent({ ...msg, headers: { ...msg.headers, [HEADER_VERSION]: '9' } })).toMatchObject({
      ok: false,
      code: 'CODEC_ERR_UNKNOWN_VERSION',
    });
    expect(
      decodeEvent({ ...msg, value: msg.value.replace('"TRADE"', '"TRADES"'), headers: { [HEADER_VERSION]: '1' } }),
    ).toMatchObject({
      ok: false,
      code: 'CODEC_ERR_UNKNOWN_CODE',
    });
  });
});
