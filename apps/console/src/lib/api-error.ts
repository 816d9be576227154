/** An error answer of the API, as the gateway renders every one: `{ statusCode, code, error, message }`. */
export interface ApiErrorView {
  statusCode: number;
  code: string;
  message: string;
  /** Set when the shard rejected an order the gateway had sent. */
  orderId?: string;
}

/**
 * The error of an answer that was not 2xx. The API's own body is shown as it is; a body that is not one (a proxy's
 * HTML page, a network failure) becomes a code of the console's own, so the user still sees what happened.
 */
export function toApiError(status: number, body: unknown): ApiErrorView {
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (typeof b['code'] === 'string' && typeof b['message'] === 'string') {
      return {
        statusCode: typeof b['statusCode'] === 'number' ? b['statusCode'] : status,
        code: b['code'],
        message: b['message'],
        ...(typeof b['orderId'] === 'string' ? { orderId: b['orderId'] } : {}),
      };
    }
  }
  return { statusCode: status, code: `HTTP_${status}`, message: `the gateway answered ${status} without an API error` };
}

export function networkError(err: unknown): ApiErrorView {
  return {
    statusCode: 0,
    code: 'NETWORK',
    message: `the gateway could not be reached: ${err instanceof Error ? err.message : String(err)}`,
  };
}

/** "INVALID_PRICE (400): MONEY_ERR_OFF_TICK: ..." — the code and message exactly as the API gave them. */
export function formatApiError(e: ApiErrorView): string {
  return `${e.code} (${e.statusCode}): ${e.message}`;
}
