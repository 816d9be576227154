import Ajv from 'ajv';
import { placeOrderRequestSchema } from './schemas';

// The gateway validates POST /v1/orders with this schema (fastify's ajv, additional properties refused).
const validate = new Ajv({ strict: true, removeAdditional: false }).compile(placeOrderRequestSchema);
const base = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '1.5', quantity: '2' };

describe('placeOrderRequestSchema', () => {
  it.each([
    ['a limit order', base],
    ['a market order', { symbol: 'ETH-USDT', side: 'sell', type: 'market', quantity: '1', timeInForce: 'FOK' }],
    [
      'every optional field',
      { ...base, timeInForce: 'IOC', postOnly: false, clientOrderId: 'my-id_1!~', stp: 'NONE', responseType: 'result' },
    ],
  ])('accepts %s', (_what, body) => {
    expect(validate(body)).toBe(true);
  });

  it.each([
    ['an unknown property', { ...base, timeInforce: 'IOC' }],
    ['upper-case side', { ...base, side: 'BUY' }],
    ['a numeric price', { ...base, price: 1.5 }],
    ['no quantity', { symbol: 'BTC-USDT', side: 'buy', type: 'limit' }],
    ['a lower-case symbol', { ...base, symbol: 'btc-usdt' }],
    ['a clientOrderId with a space', { ...base, clientOrderId: 'a b' }],
    ['a clientOrderId of 65 characters', { ...base, clientOrderId: 'x'.repeat(65) }],
    ['a non-ASCII clientOrderId', { ...base, clientOrderId: 'ordre-é' }],
    ['an unknown STP mode', { ...base, stp: 'CANCEL_ALL' }],
    ['an unknown responseType', { ...base, responseType: 'full' }],
  ])('refuses %s', (_what, body) => {
    expect(validate(body)).toBe(false);
  });
});
