import Ajv, { type Options } from 'ajv';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * How every route validates its input. Unknown properties are refused, not stripped (fastify's default): a
 * misspelt `timeInForce` must fail loudly rather than place a GTC order.
 */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions['ajv']> = {
  customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, useDefaults: true },
};

const common: Options = { removeAdditional: false, allErrors: false, useDefaults: true };

/**
 * Query strings, path parameters and headers can carry only text, so they coerce ("10" → 10). Bodies do not: a
 * JSON number for a price has already been through a float by the time it is parsed, so `"price": 0.1` must be a
 * 400, never "0.1" guessed back (money is decimal strings at the edges).
 */
export function registerValidation(app: FastifyInstance): void {
  const coercing = new Ajv({ ...common, coerceTypes: 'array' });
  const strict = new Ajv({ ...common, coerceTypes: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
