import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError, type ErrorCategory } from '../services/errors.js';

/** The only codes a client ever sees (domain.md, Errors). */
export type ClientErrorCode = ErrorCategory | 'INTERNAL_SERVER_ERROR';
const CLIENT_CODES = new Set<string>(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR']);

/** Apollo's own request errors say what is wrong with the query, never anything internal: they are input errors. */
const APOLLO_INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function assertUnreachable(x: never): never {
  throw new Error(`unmapped error category ${String(x)}`);
}

/** HTTP status a transport-level failure should carry when it is the whole response. */
export function httpStatusFor(category: ErrorCategory): number {
  switch (category) {
    case 'BAD_USER_INPUT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'RATE_LIMITED':
      return 429;
    default:
      return assertUnreachable(category);
  }
}

export function domainErrorToGraphQL(e: DomainError): GraphQLError {
  return new GraphQLError(e.message, { extensions: { ...(e.details ?? {}), code: e.category, reason: e.reason } });
}

const INTERNAL: GraphQLFormattedError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/**
 * The one place errors become what a client sees. Domain errors keep their message and code; input
 * errors become BAD_USER_INPUT; anything else is masked, and handed back as `internal` for the caller
 * to log with its request id, so no stack, SQL or secret leaves the server.
 */
export function toClientError(formatted: GraphQLFormattedError, error: unknown): { error: GraphQLFormattedError; internal?: unknown } {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    return { error: { ...base, message: original.message, extensions: { ...(original.details ?? {}), code: original.category, reason: original.reason } } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = original.extensions.validationErrors?.map((v) => ({ field: v.property, constraints: v.constraints })) ?? [];
    return { error: { ...base, message: 'Argument validation failed', extensions: { code: 'BAD_USER_INPUT', fields } } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && APOLLO_INPUT_CODES.has(code)) {
    return { error: { ...base, extensions: { code: 'BAD_USER_INPUT', reason: code } } };
  }
  // GraphQLErrors raised on purpose with a client code (scalars, auth, request limits). A GraphQLError
  // that merely wraps some other exception is not one of them.
  if (original instanceof GraphQLError && typeof code === 'string' && CLIENT_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
    return { error: { ...base, extensions: { ...formatted.extensions, code } } };
  }
  return { error: { ...INTERNAL, path: formatted.path, locations: formatted.locations }, internal: original };
}
