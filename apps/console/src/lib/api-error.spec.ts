import { formatApiError, networkError, toApiError } from './api-error';

describe('API errors', () => {
  it('shows the API code and message exactly as answered', () => {
    const body = {
      statusCode: 400,
      code: 'INVALID_PRICE',
      error: 'Bad Request',
      message: 'MONEY_ERR_OFF_TICK: price 1.001 is not a multiple of the tick size 0.01',
    };
    const e = toApiError(400, body);
    expect(e).toEqual({ statusCode: 400, code: 'INVALID_PRICE', message: body.message });
    expect(formatApiError(e)).toBe(`INVALID_PRICE (400): ${body.message}`);
  });

  it("keeps a shard rejection's orderId", () => {
    const e = toApiError(409, {
      statusCode: 409,
      code: 'POST_ONLY_WOULD_TAKE',
      error: 'Conflict',
      message: 'would take',
      orderId: '01J',
    });
    expect(e.orderId).toBe('01J');
  });

  it('names an answer that is not an API error, and a network failure, by a code of its own', () => {
    expect(toApiError(502, '<html>bad gateway</html>')).toMatchObject({ code: 'HTTP_502', statusCode: 502 });
    expect(toApiError(500, { message: 'no code' })).toMatchObject({ code: 'HTTP_500' });
    expect(networkError(new TypeError('Failed to fetch'))).toMatchObject({
      code: 'NETWORK',
      message: 'the gateway could not be reached: Failed to fetch',
    });
  });
});
