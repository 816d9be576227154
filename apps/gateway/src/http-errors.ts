import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyServerOptions } from 'fastify';
import { API_ERRORS, ApiError, type ApiErrorBody, type ApiErrorCode } from './errors';

/** fastify's own error codes, mapped onto the catalogue; anything else with a 4xx status is a validation failure. */
const FASTIFY_CODES: Readonly<Record<string, ApiErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
};

export function errorBody(code: ApiErrorCode, message: string, orderId?: string): ApiErrorBody {
  const { statusCode } = API_ERRORS[code];
  const body: ApiErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (orderId !== undefined) body.orderId = orderId;
  return body;
}

/** Classifies whatever a route or fastify threw. Unknown failures are INTERNAL and never leak their message. */
export function toApiError(err: unknown): {
  code: ApiErrorCode;
  message: string;
  headers: Record<string, string>;
  orderId?: string;
} {
  if (err instanceof ApiError) {
    const out = { code: err.code, message: err.message, headers: { ...err.headers } };
    return err.orderId === undefined ? out : { ...out, orderId: err.orderId };
  }
  const e = err as Partial<FastifyError> | undefined;
  if (e?.validation) return { code: 'VALIDATION_FAILED', message: e.message ?? 'invalid request', headers: {} };
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return { code: mapped, message: e?.message ?? API_ERRORS[mapped].description, headers: {} };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // A client error fastify or a plugin raised without a code we know (a malformed header, say).
    return { code: 'VALIDATION_FAILED', message: e.message ?? 'invalid request', headers: {} };
  }
  return { code: 'INTERNAL', message: API_ERRORS.INTERNAL.description, headers: {} };
}

/**
 * fastify's `frameworkErrors` option: errors its router raises before any route or error handler runs (a malformed
 * URL, a path parameter over maxParamLength), answered in the catalogue's shape like every other error.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (err, _request, reply) => {
  const { code, message } = toApiError(err);
  // The reply's type is generic over route schemas that do not exist yet at this point.
  const raw = reply as unknown as { code(n: number): { send(body: unknown): unknown } };
  void raw.code(API_ERRORS[code].statusCode).send(errorBody(code, message));
};

/** Every error answer of the app, including fastify's own and unknown routes, in the catalogue's shape. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const { code, message, headers, orderId } = toApiError(err);
    if (code === 'INTERNAL') request.log.error({ err }, 'unexpected failure');
    void reply
      .code(API_ERRORS[code].statusCode)
      .headers(headers)
      .send(errorBody(code, message, orderId));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
