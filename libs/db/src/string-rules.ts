/** A string rule as the contracts' JSON schemas state it (ids, symbols): bounds and a pattern. */
export interface StringSchema {
  readonly minLength: number;
  readonly maxLength: number;
  readonly pattern: string;
}

export interface StringRule {
  /** Whether `value` is a string the schema accepts. */
  test(value: unknown): value is string;
  /** "1-64 characters of ^…$", for error messages. */
  readonly describe: string;
}

/**
 * The stores check ids and symbols by the very schemas the commands are validated with (libs/contracts), so a row
 * can never hold an id a command could not carry; this compiles one such schema once.
 */
export function stringRule(schema: StringSchema): StringRule {
  const pattern = new RegExp(schema.pattern);
  return {
    test: (value: unknown): value is string =>
      typeof value === 'string' &&
      value.length >= schema.minLength &&
      value.length <= schema.maxLength &&
      pattern.test(value),
    describe: `${schema.minLength}-${schema.maxLength} characters of ${schema.pattern}`,
  };
}
