import { validateOrReject, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, type ValidatorFn } from 'type-graphql';

const OPTIONS: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };
const validatable = (v: unknown): v is object => v !== null && typeof v === 'object';

/**
 * type-graphql's own argument validation with class-validator, minus its `await import('class-validator')`
 * on every argument of every call: measured at about a fifth of createOrder's CPU time
 * (docs/performance.md, Orders). Same rules, same ArgumentValidationError (BAD_USER_INPUT with fields).
 */
export const validateArgs: ValidatorFn = async (value) => {
  try {
    if (Array.isArray(value)) await Promise.all(value.filter(validatable).map((item) => validateOrReject(item, OPTIONS)));
    else if (validatable(value)) await validateOrReject(value, OPTIONS);
  } catch (err) {
    throw new ArgumentValidationError(err as ConstructorParameters<typeof ArgumentValidationError>[0]);
  }
};
