import type { ApiKeyVerifier, VerifiedApiKey } from '@shardex/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request, once the `x-api-key` hook of a private scope accepted its key. */
    principal: VerifiedApiKey | null;
  }
}

export const API_KEY_HEADER = 'x-api-key';

/**
 * The `x-api-key` check of private routes, as an onRequest hook: before the body is read, so an unauthenticated
 * client cannot make the gateway parse large bodies. The verifier answers from its cache, so the hot path reads
 * MySQL only when a key's cached answer is older than the verifier's ttl (which bounds how late a revocation
 * takes effect). A failing lookup is 503, never 401: the client's key may be fine and the request must be
 * retryable.
 */
export function apiKeyHook(verifier: Pick<ApiKeyVerifier, 'verify'>) {
  return async function requireApiKey(request: FastifyRequest): Promise<void> {
    const presented = request.headers[API_KEY_HEADER];
    if (typeof presented !== 'string' || presented === '')
      throw new ApiError('UNAUTHENTICATED', `send your API key in the ${API_KEY_HEADER} header`);
    let principal: VerifiedApiKey | undefined;
    try {
      principal = await verifier.verify(presented);
    } catch (err) {
      request.log.warn({ err }, 'API key lookup failed');
      throw new ApiError('UNAVAILABLE', 'the API key cannot be checked right now; retry shortly', {
        'retry-after': '1',
      });
    }
    if (!principal) throw new ApiError('UNAUTHENTICATED', 'unknown or revoked API key');
    request.principal = principal;
  };
}

/** Registers `routes` in a scope where every request must carry a live API key. */
export async function registerPrivateRoutes(
  app: FastifyInstance,
  verifier: Pick<ApiKeyVerifier, 'verify'>,
  routes: (scope: FastifyInstance) => void | Promise<void>,
): Promise<void> {
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);
  await app.register(async (scope) => {
    scope.addHook('onRequest', apiKeyHook(verifier));
    await routes(scope);
  });
}
