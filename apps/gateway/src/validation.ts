import type { FastifyServerOptions } from 'fastify';

/**
 * How every route validates its input. Unknown properties are refused, not stripped (fastify's default): a
 * misspelt `timeInForce` must fail loudly rather than place a GTC order. Query strings still coerce ("10" → 10),
 * as they can carry only text; body fields that are numbers on the wire stay decimal strings in the schemas.
 */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions['ajv']> = {
  customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, useDefaults: true },
};
