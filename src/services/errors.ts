import type { ErrorCode } from './error-codes.js';

/** Codes any domain may use; each domain adds its own enum in its errors.ts. */
export enum CommonErrorCode {
  INVALID_INPUT = 'INVALID_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  RATE_LIMITED = 'RATE_LIMITED',
}

/**
 * A failure the caller can act on. Services throw these; schema/error-map.ts maps each `reason` to the
 * client category (`extensions.code`) in one table. Anything that is not a DomainError is internal
 * and masked.
 */
export abstract class DomainError extends Error {
  /** Stable machine-readable reason, e.g. EMAIL_TAKEN; sent to clients as `extensions.reason`. */
  abstract readonly reason: ErrorCode;
  /** Safe-to-show extra fields (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class InvalidInputError extends DomainError {
  readonly reason = CommonErrorCode.INVALID_INPUT;
}

export class NotFoundError extends DomainError {
  readonly reason = CommonErrorCode.NOT_FOUND;
  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly reason = CommonErrorCode.UNAUTHENTICATED;
  constructor(message = 'Sign in required') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly reason = CommonErrorCode.FORBIDDEN;
  constructor(message = 'Not allowed') {
    super(message);
  }
}

export class RateLimitedError extends DomainError {
  readonly reason = CommonErrorCode.RATE_LIMITED;
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
