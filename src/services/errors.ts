/**
 * The categories a client can see (domain.md, Errors). Each domain error names one; schema/error-map.ts
 * turns it into `extensions.code`. Anything that is not a DomainError is an internal error and is masked.
 */
export type ErrorCategory = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED';

export abstract class DomainError extends Error {
  abstract readonly category: ErrorCategory;
  /** Stable machine-readable reason within the category, e.g. EMAIL_TAKEN. */
  abstract readonly reason: string;
  /** Safe-to-show extra fields (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class InvalidInputError extends DomainError {
  readonly category = 'BAD_USER_INPUT';
  readonly reason = 'INVALID_INPUT';
}

export class NotFoundError extends DomainError {
  readonly category = 'NOT_FOUND';
  readonly reason = 'NOT_FOUND';
  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly category = 'UNAUTHENTICATED';
  readonly reason = 'UNAUTHENTICATED';
  constructor(message = 'Sign in required') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly category = 'FORBIDDEN';
  readonly reason = 'FORBIDDEN';
  constructor(message = 'Not allowed') {
    super(message);
  }
}

export class RateLimitedError extends DomainError {
  readonly category = 'RATE_LIMITED';
  readonly reason = 'RATE_LIMITED';
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { retryAfterSeconds });
  }
}

/** PostgreSQL unique_violation, so services can turn a lost insert race into a CONFLICT. */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  const err = e as { code?: string; constraint?: string; name?: string } | null;
  if (!err) return false;
  const unique = err.code === '23505' || err.name === 'UniqueConstraintViolationException';
  return unique && (!constraint || err.constraint === constraint || String((e as Error).message).includes(constraint));
}
