import fc from 'fast-check';
import {
  decodeCommand,
  decodeEvent,
  encodeCommand,
  encodeEvent,
  HEADER_CODE,
  HEADER_VERSION,
  type IncomingMessage,
  LIFECYCLE_KEY,
} from './codec';
import {
  type CancelAllOrdersPayload,
  type CancelOrderPayload,
  type Command,
  COMMAND_CODES,
  isLifecycleCommand,
  MAX_ISSUED_AT,
  ORDER_TYPES,
  type PlaceOrderPayload,
  SIDES,
  TIME_IN_FORCE,
} from './commands';
import { CONTRACT_ERROR_CODES } from './errors';
import type { EngineEvent } from './events';
import { type InstrumentSpec, MAX_OPEN_ORDERS_LIMIT, STP_MODES } from './instrument';
import { MAX_SCALE } from './money';
import { commandEnvelopeSchema, commandPayloadSchemas, eventEnvelopeSchema } from './schemas';
import { cancelAllOrders, placeOrder, TEST } from './testing';

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

  it('round-trips CANCEL_ALL_ORDERS under its symbol, like the other order commands', () => {
    const all = cancelAllOrders('alice', 'BTC-USDT');
    const msg = encodeCommand(all);
    expect(msg.key).toBe('BTC-USDT');
    expect(msg.headers).toEqual({ [HEADER_CODE]: 'CANCEL_ALL_ORDERS', [HEADER_VERSION]: '1' });
    expect(decodeCommand({ ...msg, key: Buffer.from(msg.key), value: Buffer.from(msg.value) })).toEqual({
      ok: true,
      value: all,
    });
  });

  const all = encodeCommand(cancelAllOrders('alice', 'TEST'));
  const allWith = (payload: unknown) => ({
    ...all,
    value: JSON.stringify({ ...(JSON.parse(all.value) as object), payload }),
  });
  it.each([
    ['no userId', allWith({ symbol: 'TEST' }), 'CODEC_ERR_SCHEMA'],
    ['no symbol', allWith({ userId: 'alice' }), 'CODEC_ERR_SCHEMA'],
    ['an empty userId', allWith({ userId: '', symbol: 'TEST' }), 'CODEC_ERR_SCHEMA'],
    ['a userId with a space', allWith({ userId: 'a b', symbol: 'TEST' }), 'CODEC_ERR_SCHEMA'],
    ['a lower-case symbol', { ...allWith({ userId: 'alice', symbol: 'test' }), key: 'test' }, 'CODEC_ERR_SCHEMA'],
    // An orderId would suggest a single cancel: refused rather than ignored.
    ['an orderId', allWith({ userId: 'alice', symbol: 'TEST', orderId: 'o-1' }), 'CODEC_ERR_SCHEMA'],
    ['a numeric userId', allWith({ userId: 7, symbol: 'TEST' }), 'CODEC_ERR_SCHEMA'],
    ['the lifecycle key', { ...all, key: LIFECYCLE_KEY }, 'CODEC_ERR_HEADER_MISMATCH'],
    [
      'a CANCEL_ORDER header',
      { ...all, headers: { ...all.headers, [HEADER_CODE]: 'CANCEL_ORDER' } },
      'CODEC_ERR_HEADER_MISMATCH',
    ],
  ])('refuses a CANCEL_ALL_ORDERS with %s', (_why, msg, expected) => {
    expect(decodeCommand(msg)).toMatchObject({ ok: false, code: expected });
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

  it('bounds issuedAt at 9999-12-31T23:59:59.999Z', () => {
    expect(new Date(MAX_ISSUED_AT).toISOString()).toBe('9999-12-31T23:59:59.999Z');
    const at = (issuedAt: number) => decodeCommand(encodeCommand({ ...place, issuedAt }));
    expect(at(MAX_ISSUED_AT)).toMatchObject({ ok: true });
    expect(at(MAX_ISSUED_AT + 1)).toMatchObject({ ok: false, code: 'CODEC_ERR_SCHEMA' });
    expect(at(0)).toMatchObject({ ok: true });
    expect(at(-1)).toMatchObject({ ok: false, code: 'CODEC_ERR_SCHEMA' });
  });

  it('fails, not throws, on a code that cannot be turned into a string', () => {
    const body = JSON.stringify({ code: { toString: 1, valueOf: 1 }, commandId: 'c', issuedAt: 1, payload: {} });
    expect(decodeCommand({ value: body, headers: { [HEADER_VERSION]: '1' } })).toMatchObject({
      ok: false,
      code: 'CODEC_ERR_UNKNOWN_CODE',
      message: '"an object" is not a command code',
    });
    expect(decodeEvent({ value: body, headers: { [HEADER_VERSION]: '1' } })).toMatchObject({
      ok: false,
      code: 'CODEC_ERR_UNKNOWN_CODE',
    });
  });
});

describe('command codec fuzzing with command-shaped input', () => {
  // Valid commands of every code, built from the schemas' own rules, then broken one field at a time.
  const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
  const symbol = fc.stringMatching(/^[A-Z0-9][A-Z0-9._/-]{0,31}$/);
  const amount = fc.oneof(fc.stringMatching(/^\d{1,12}(\.\d{1,8})?$/), fc.string({ minLength: 1, maxLength: 64 }));
  const placePayload: fc.Arbitrary<PlaceOrderPayload> = fc.record(
    {
      orderId: id,
      userId: id,
      symbol,
      side: fc.constantFrom(...SIDES),
      type: fc.constantFrom(...ORDER_TYPES),
      timeInForce: fc.constantFrom(...TIME_IN_FORCE),
      price: amount,
      quantity: amount,
      postOnly: fc.boolean(),
      selfTradePrevention: fc.constantFrom(...STP_MODES),
    },
    { requiredKeys: ['orderId', 'userId', 'symbol', 'side', 'type', 'timeInForce', 'quantity'] },
  );
  const cancelPayload: fc.Arbitrary<CancelOrderPayload> = fc.record({ orderId: id, userId: id, symbol });
  const cancelAllPayload: fc.Arbitrary<CancelAllOrdersPayload> = fc.record({ userId: id, symbol });
  const instrument: fc.Arbitrary<InstrumentSpec> = fc.record(
    {
      symbol,
      base: fc.stringMatching(/^[A-Z0-9]{1,16}$/),
      quote: fc.stringMatching(/^[A-Z0-9]{1,16}$/),
      priceScale: fc.integer({ min: 0, max: MAX_SCALE }),
      quantityScale: fc.integer({ min: 0, max: MAX_SCALE }),
      tickSize: amount,
      lotSize: amount,
      minQty: amount,
      maxQty: amount,
      marketPriceBandBps: fc.integer({ min: 1, max: 100_000 }),
      selfTradePrevention: fc.constantFrom(...STP_MODES),
      maxOpenOrders: fc.integer({ min: 1, max: MAX_OPEN_ORDERS_LIMIT }),
      maxOpenOrdersPerUser: fc.integer({ min: 1, max: MAX_OPEN_ORDERS_LIMIT }),
    },
    {
      requiredKeys: [
        'symbol',
        'base',
        'quote',
        'priceScale',
        'quantityScale',
        'tickSize',
        'lotSize',
        'minQty',
        'maxQty',
      ],
    },
  );
  const reason = fc.record({ reason: fc.string({ maxLength: 256 }) }, { requiredKeys: [] });
  const envelope = { commandId: id, issuedAt: fc.integer({ min: 0, max: MAX_ISSUED_AT }) };
  const validCommand: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ ...envelope, code: fc.constant('PLACE_ORDER' as const), payload: placePayload }),
    fc.record({ ...envelope, code: fc.constant('CANCEL_ORDER' as const), payload: cancelPayload }),
    fc.record({ ...envelope, code: fc.constant('CANCEL_ALL_ORDERS' as const), payload: cancelAllPayload }),
    fc.record({
      ...envelope,
      code: fc.constant('INITIALIZE_ENGINE' as const),
      payload: fc.record({ instruments: fc.array(instrument, { maxLength: 3 }) }),
    }),
    fc.record({ ...envelope, code: fc.constant('START_ENGINE' as const), payload: reason }),
    fc.record({ ...envelope, code: fc.constant('STOP_ENGINE' as const), payload: reason }),
  );

  /** Values a broken field may take: wrong types, numbers at and past the bounds, number-like and huge strings. */
  const junk: fc.Arbitrary<unknown> = fc.oneof(
    fc.constantFrom(null, true, [], {}, '', ' ', '9'.repeat(100_000), 'x'.repeat(65)),
    // Objects that break String(x) and template literals, and prototype-pollution attempts.
    fc.constantFrom({ toString: 1, valueOf: 1 }, { toString: 'x' }, JSON.parse('{"__proto__":{"polluted":1}}')),
    fc.constantFrom(0, -1, -0, 1.5, 0.1, 1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2),
    fc.constantFrom(MAX_ISSUED_AT, MAX_ISSUED_AT + 1, MAX_OPEN_ORDERS_LIMIT + 1, 100_001, MAX_SCALE + 1),
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e5', '0x10', '-1', '1.', '.5'),
    fc.integer({ min: MAX_ISSUED_AT + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: -MAX_ISSUED_AT, max: -1 }),
    fc.double(),
    fc.string({ maxLength: 80 }),
    fc.jsonValue({ maxDepth: 3 }),
    fc.anything({ maxDepth: 2 }),
  );

  type Json = Record<string, unknown>;
  /** Every path to an object key in `v` (envelope, payload, instruments and their fields). */
  function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
    if (typeof v !== 'object' || v === null) return [];
    const out: Array<Array<string | number>> = [];
    for (const [k, child] of Object.entries(v)) {
      const p = [...at, Array.isArray(v) ? Number(k) : k];
      out.push(p, ...paths(child, p));
    }
    return out;
  }
  function parentOf(root: Json, path: Array<string | number>): Json {
    let o: unknown = root;
    for (const k of path.slice(0, -1)) o = (o as Json)[k];
    return o as Json;
  }

  type Mutation =
    | { kind: 'drop' | 'replace' | 'add'; pick: number; value: unknown; key: string }
    | { kind: 'envelope'; field: string; value: unknown }
    | { kind: 'issuedAt'; value: number }
    | { kind: 'header'; code: string }
    | { kind: 'key'; key: string };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({
      kind: fc.constantFrom('drop' as const, 'replace' as const, 'add' as const),
      pick: fc.nat(),
      value: junk,
      key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'price', 'hack')),
    }),
    fc.record({
      kind: fc.constant('envelope' as const),
      field: fc.constantFrom('commandId', 'code', 'issuedAt', 'payload'),
      value: junk,
    }),
    fc.record({
      kind: fc.constant('issuedAt' as const),
      value: fc.oneof(
        fc.integer({ min: MAX_ISSUED_AT + 1, max: MAX_ISSUED_AT + 1000 }),
        fc.constantFrom(MAX_ISSUED_AT + 0.5, -1, Number.MAX_SAFE_INTEGER, 1e21),
      ),
    }),
    fc.record({ kind: fc.constant('header' as const), code: fc.constantFrom(...COMMAND_CODES, 'PLACE', '') }),
    fc.record({ kind: fc.constant('key' as const), key: fc.oneof(symbol, fc.constant(LIFECYCLE_KEY), fc.string()) }),
  );

  /** The message of `command` broken by `m`. */
  function broken(command: Command, m: Mutation): IncomingMessage {
    const msg = encodeCommand(command);
    const body = JSON.parse(msg.value) as Json;
    switch (m.kind) {
      case 'header':
        return { ...msg, headers: { ...msg.headers, [HEADER_CODE]: m.code } };
      case 'key':
        return { ...msg, key: m.key };
      case 'issuedAt':
        return { ...msg, value: JSON.stringify({ ...body, issuedAt: m.value }) };
      case 'envelope':
        return { ...msg, value: JSON.stringify({ ...body, [m.field]: m.value }) };
      default: {
        const all = paths(body);
        const path = all[m.pick % all.length] as Array<string | number>;
        const parent = parentOf(body, path);
        const last = path[path.length - 1] as string | number;
        if (m.kind === 'drop') delete parent[last];
        else if (m.kind === 'replace') parent[last] = m.value;
        else if (typeof parent === 'object' && parent !== null && !Array.isArray(parent)) parent[m.key] = m.value;
        return { ...msg, value: JSON.stringify(body) ?? 'null' };
      }
    }
  }

  /**
   * An interpreter of the JSON schemas independent of ajv: the bounds a decoded command must be within, so the
   * test catches a codec that accepts what its schema does not allow (or a schema too loose for its own words).
   */
  function conforms(schema: Json, v: unknown, where: string): string | undefined {
    const type = schema['type'];
    if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(v)) return `${where}: not in enum`;
    if (type === 'integer' || type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${where}: not a number`;
      if (type === 'integer' && !Number.isSafeInteger(v)) return `${where}: not a safe integer`;
      if (v < (schema['minimum'] as number) || v > (schema['maximum'] as number)) return `${where}: out of bounds`;
      return undefined;
    }
    if (type === 'string') {
      if (typeof v !== 'string') return `${where}: not a string`;
      if (v.length < ((schema['minLength'] as number | undefined) ?? 0)) return `${where}: too short`;
      if (v.length > ((schema['maxLength'] as number | undefined) ?? Infinity)) return `${where}: too long`;
      if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(v))
        return `${where}: does not match ${schema['pattern']}`;
      return undefined;
    }
    if (type === 'boolean') return typeof v === 'boolean' ? undefined : `${where}: not a boolean`;
    if (type === 'array') {
      if (!Array.isArray(v)) return `${where}: not an array`;
      if (v.length > ((schema['maxItems'] as number | undefined) ?? Infinity)) return `${where}: too many items`;
      for (const [i, item] of v.entries()) {
        const e = conforms(schema['items'] as Json, item, `${where}[${i}]`);
        if (e) return e;
      }
      return undefined;
    }
    if (type === 'object') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${where}: not an object`;
      const props = (schema['properties'] ?? {}) as Record<string, Json>;
      for (const r of (schema['required'] ?? []) as string[]) if (!(r in v)) return `${where}.${r}: missing`;
      for (const [k, child] of Object.entries(v)) {
        const s = props[k];
        if (s === undefined) {
          if (schema['additionalProperties'] === false) return `${where}.${k}: not allowed`;
          continue;
        }
        const e = conforms(s, child, `${where}.${k}`);
        if (e) return e;
      }
      return undefined;
    }
    return `${where}: schema without a type`;
  }
  const conformsAsCommand = (c: Command) =>
    conforms(commandEnvelopeSchema, c, 'command') ??
    conforms(commandPayloadSchemas[c.code] as unknown as Json, c.payload, c.code);

  it('gives every number in every command and event schema both bounds', () => {
    const unbounded: string[] = [];
    const walk = (schema: unknown, where: string) => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Json;
      if (
        (s['type'] === 'integer' || s['type'] === 'number') &&
        (s['minimum'] === undefined || s['maximum'] === undefined)
      )
        unbounded.push(where);
      for (const [k, child] of Object.entries(s)) walk(child, `${where}.${k}`);
    };
    walk(commandEnvelopeSchema, 'command');
    walk(eventEnvelopeSchema, 'event');
    for (const [code, schema] of Object.entries(commandPayloadSchemas)) walk(schema, code);
    expect(unbounded).toEqual([]);
    expect(eventEnvelopeSchema.properties.seq.maximum).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('generates commands of every code (a new code is fuzzed too, or this fails)', () => {
    const codes = new Set(fc.sample(validCommand, { numRuns: 500, seed: 1 }).map((c) => c.code));
    expect([...codes].sort()).toEqual([...COMMAND_CODES].sort());
  });

  it('round-trips every valid command of every code, keyed by its symbol or the lifecycle key', () => {
    fc.assert(
      fc.property(validCommand, (command) => {
        expect(conformsAsCommand(command)).toBeUndefined();
        expect(decodeCommand(encodeCommand(command))).toEqual({ ok: true, value: command });
        const symbol = (command.payload as { symbol?: string }).symbol;
        expect(encodeCommand(command).key).toBe(isLifecycleCommand(command) ? LIFECYCLE_KEY : symbol);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on broken commands; what it accepts is within the schema and re-encodes to itself', () => {
    fc.assert(
      fc.property(validCommand, fc.array(mutation, { minLength: 1, maxLength: 3 }), (command, mutations) => {
        let msg = encodeCommand(command) as IncomingMessage;
        let current: Command = command;
        for (const m of mutations) {
          msg = broken(current, m);
          // Later mutations apply to what the earlier ones produced when that still decodes.
          const r = decodeCommand(msg);
          if (r.ok) current = r.value;
        }
        let r: ReturnType<typeof decodeCommand> | undefined;
        expect(() => {
          r = decodeCommand(msg);
        }).not.toThrow();
        if (r === undefined) throw new Error('unreachable: decodeCommand returned nothing');
        if (!r.ok) {
          expect(Object.keys(CONTRACT_ERROR_CODES)).toContain(r.code);
          return;
        }
        expect(conformsAsCommand(r.value)).toBeUndefined();
        expect(decodeCommand(encodeCommand(r.value))).toEqual({ ok: true, value: r.value });
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every out-of-range issuedAt and every broken header or key', () => {
    fc.assert(
      fc.property(
        validCommand,
        fc.oneof(
          fc.integer({ min: MAX_ISSUED_AT + 1, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
          fc.double({ noInteger: true }),
        ),
        (command, issuedAt) => {
          const msg = encodeCommand(command);
          const value = msg.value.replace(`"issuedAt":${command.issuedAt}`, `"issuedAt":${JSON.stringify(issuedAt)}`);
          expect(decodeCommand({ ...msg, value })).toMatchObject({ ok: false });
          const otherCode = COMMAND_CODES.find((c) => c !== command.code);
          expect(decodeCommand({ ...msg, headers: { ...msg.headers, [HEADER_CODE]: otherCode } })).toMatchObject({
            ok: false,
            code: 'CODEC_ERR_HEADER_MISMATCH',
          });
          expect(decodeCommand({ ...msg, key: `${msg.key}-other` })).toMatchObject({
            ok: false,
            code: 'CODEC_ERR_HEADER_MISMATCH',
          });
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
