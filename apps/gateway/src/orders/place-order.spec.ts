import { compileInstrument, type Instrument, type PlaceOrderRequest, unwrap } from '@shardex/contracts';
import { buildPlaceOrder, type PlaceOrderContext } from './place-order';

const BTC: Instrument = unwrap(
  compileInstrument({
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    priceScale: 2,
    quantityScale: 4,
    tickSize: '0.01',
    lotSize: '0.0001',
    minQty: '0.0001',
    maxQty: '100',
  }),
);
const ctx: PlaceOrderContext = {
  userId: 'alice',
  orderId: '01ARYZ6S41TSV4RRFFQ69G5FAV',
  issuedAt: 1_700_000_000_000,
  instrument: BTC,
};
const limit = (extra: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest => ({
  symbol: 'BTC-USDT',
  side: 'buy',
  type: 'limit',
  price: '65000.01',
  quantity: '0.5',
  ...extra,
});

describe('buildPlaceOrder', () => {
  it('turns a limit request into the engine command, GTC by default, one command id per order id', () => {
    expect(buildPlaceOrder(limit({ clientOrderId: 'c-1', postOnly: true, stp: 'CANCEL_BOTH' }), ctx)).toEqual({
      ok: true,
      command: {
        commandId: 'place:01ARYZ6S41TSV4RRFFQ69G5FAV',
        code: 'PLACE_ORDER',
        issuedAt: 1_700_000_000_000,
        payload: {
          orderId: '01ARYZ6S41TSV4RRFFQ69G5FAV',
          userId: 'alice',
          symbol: 'BTC-USDT',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          price: '65000.01',
          quantity: '0.5',
          postOnly: true,
          selfTradePrevention: 'CANCEL_BOTH',
        },
      },
    });
  });

  it('makes a market order IOC by default, without a price', () => {
    const out = buildPlaceOrder({ symbol: 'BTC-USDT', side: 'sell', type: 'market', quantity: '1' }, ctx);
    expect(out.ok && out.command.payload).toEqual({
      orderId: ctx.orderId,
      userId: 'alice',
      symbol: 'BTC-USDT',
      side: 'SELL',
      type: 'MARKET',
      timeInForce: 'IOC',
      quantity: '1',
    });
  });

  it.each([
    ['an unknown symbol', limit(), { ...ctx, instrument: undefined }, 'UNKNOWN_SYMBOL', /BTC-USDT/],
    ['a limit order without a price', limit({ price: undefined }), ctx, 'INVALID_ORDER', /needs a price/],
    ['a market order with a price', { ...limit(), type: 'market' as const }, ctx, 'INVALID_ORDER', /no price/],
    [
      'a GTC market order',
      { ...limit({ price: undefined }), type: 'market' as const, timeInForce: 'GTC' as const },
      ctx,
      'INVALID_ORDER',
      /never GTC/,
    ],
    [
      'a post-only market order',
      { ...limit({ price: undefined }), type: 'market' as const, postOnly: true },
      ctx,
      'INVALID_ORDER',
      /post-only/,
    ],
    ['a post-only IOC limit order', limit({ postOnly: true, timeInForce: 'IOC' }), ctx, 'INVALID_ORDER', /must be GTC/],
    [
      'a price off the tick',
      limit({ price: '65000.005' }),
      ctx,
      'INVALID_PRICE',
      /^MONEY_ERR_SCALE|^MONEY_ERR_OFF_TICK/,
    ],
    ['a zero price', limit({ price: '0' }), ctx, 'INVALID_PRICE', /^MONEY_ERR_ZERO/],
    ['a price in exponent notation', limit({ price: '6.5e4' }), ctx, 'INVALID_PRICE', /^MONEY_ERR_EXPONENT/],
    ['a quantity off the lot', limit({ quantity: '0.00005' }), ctx, 'INVALID_QUANTITY', /^MONEY_ERR_(SCALE|OFF_LOT)/],
    ['a quantity above the maximum', limit({ quantity: '100.0001' }), ctx, 'INVALID_QUANTITY', /^MONEY_ERR_MAX_QTY/],
    ['a zero quantity', limit({ quantity: '0' }), ctx, 'INVALID_QUANTITY', /^MONEY_ERR_(ZERO|MIN_QTY)/],
    ['a negative quantity', limit({ quantity: '-1' }), ctx, 'INVALID_QUANTITY', /^MONEY_ERR_NEGATIVE/],
  ])('refuses %s before anything is sent', (_what, request, context, code, message) => {
    const out = buildPlaceOrder(request, context);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.code).toBe(code);
    expect(out.message).toMatch(message);
  });
});
