import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { AssetErrorCode } from '../services/assets/errors.js';
import { AuthErrorCode } from '../services/auth/errors.js';
import type { ErrorCode } from '../services/error-codes.js';
import { CommonErrorCode, DomainError } from '../services/errors.js';
import { OrderErrorCode } from '../services/orders/errors.js';
import { VestingErrorCode } from '../services/vesting/errors.js';
import { PayoutErrorCode } from '../services/payouts/errors.js';
import { NotificationErrorCode } from '../services/notifications/errors.js';
import { SiteErrorCode } from '../services/sites/errors.js';
import { UserErrorCode } from '../services/users/errors.js';
import { VestingPlanErrorCode } from '../services/vesting-plans/errors.js';
import { WalletErrorCode } from '../services/wallets/errors.js';

/** The only codes a client ever sees (domain.md, Errors). */
export type ClientErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED' | 'INTERNAL_SERVER_ERROR';
type ErrorCategory = Exclude<ClientErrorCode, 'INTERNAL_SERVER_ERROR'>;

/** Every domain reason and the category a client sees for it. The type makes a missing reason a compile error. */
const CATEGORY: Record<ErrorCode, ErrorCategory> = {
  [CommonErrorCode.INVALID_INPUT]: 'BAD_USER_INPUT',
  [CommonErrorCode.NOT_FOUND]: 'NOT_FOUND',
  [CommonErrorCode.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [CommonErrorCode.FORBIDDEN]: 'FORBIDDEN',
  [CommonErrorCode.RATE_LIMITED]: 'RATE_LIMITED',
  [AuthErrorCode.INVALID_CREDENTIALS]: 'UNAUTHENTICATED',
  [AuthErrorCode.SITE_REQUIRED]: 'BAD_USER_INPUT',
  [SiteErrorCode.SLUG_TAKEN]: 'CONFLICT',
  [UserErrorCode.EMAIL_TAKEN]: 'CONFLICT',
  [AssetErrorCode.DECIMALS_LOCKED]: 'CONFLICT',
  [WalletErrorCode.POOL_EXHAUSTED]: 'CONFLICT',
  [WalletErrorCode.DUPLICATE_WALLET]: 'CONFLICT',
  [WalletErrorCode.WALLET_STATUS_CONFLICT]: 'CONFLICT',
  [VestingPlanErrorCode.PLAN_NAME_TAKEN]: 'CONFLICT',
  [OrderErrorCode.SALE_NOT_OPEN]: 'CONFLICT',
  [OrderErrorCode.ORDER_STATUS_CONFLICT]: 'CONFLICT',
  [OrderErrorCode.IDEMPOTENCY_KEY_REUSED]: 'CONFLICT',
  [VestingErrorCode.ALLOCATION_STATUS_CONFLICT]: 'CONFLICT',
  [PayoutErrorCode.RELEASE_STATUS_CONFLICT]: 'CONFLICT',
  [PayoutErrorCode.CUSTODY_UNCONFIRMED]: 'CONFLICT',
  [NotificationErrorCode.WEBHOOK_TARGET_REFUSED]: 'BAD_USER_INPUT',
};

export function categoryOf(e: DomainError): ErrorCategory {
  return CATEGORY[e.reason];
}

/** graphql-js and Apollo reasons for a request that is wrong before it runs: the client's input. */
const REQUEST_INPUT_REASONS = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);
const CLIENT_CODES = new Set<string>(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED']);

/**
 * The one way transport code (HTTP, graphql-ws, scalars, express handlers) raises an error a client
 * may see: a client code, an optional reason, and for HTTP the status to answer with.
 */
export function clientError(code: ErrorCategory, message: string, opts: { reason?: string; httpStatus?: number; nodes?: GraphQLError['nodes'] } = {}): GraphQLError {
  return new GraphQLError(message, {
    nodes: opts.nodes,
    extensions: { code, ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.httpStatus ? { http: { status: opts.httpStatus } } : {}) },
  });
}

/** The same shape as a JSON body, for answers that never reach GraphQL (body parser, unknown route). */
export function errorBody(code: ClientErrorCode, message: string, reason?: string): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message, extensions: { code, ...(reason ? { reason } : {}) } }] };
}

/** graphql-js appends hints that name schema members the caller did not write ("Did you mean …?"). */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export interface ClientErrorOptions {
  /** Production: no error names a field, type or enum value the caller did not write. */
  hideSuggestions: boolean;
}

const INTERNAL: GraphQLFormattedError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/**
 * The one place errors become what a client sees. Domain errors keep their message and get their
 * category; input errors become BAD_USER_INPUT; anything else is masked, and handed back as
 * `internal` for the caller to log with its request id, so no stack, SQL or secret leaves the server.
 */
export function toClientError(formatted: GraphQLFormattedError, error: unknown, opts: ClientErrorOptions): { error: GraphQLFormattedError; internal?: unknown } {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const message = opts.hideSuggestions ? formatted.message.replace(SUGGESTION, '') : formatted.message;
  const base = { message, locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    return { error: { ...base, message: original.message, extensions: { ...(original.details ?? {}), code: categoryOf(original), reason: original.reason } } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = original.extensions.validationErrors?.map((v) => ({ field: v.property, constraints: v.constraints })) ?? [];
    return { error: { ...base, message: 'Argument validation failed', extensions: { code: 'BAD_USER_INPUT', reason: CommonErrorCode.INVALID_INPUT, fields } } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_INPUT_REASONS.has(code)) {
    return { error: { ...base, extensions: { code: 'BAD_USER_INPUT', reason: code } } };
  }
  // GraphQLErrors raised on purpose through clientError (scalars, auth, request limits). A GraphQLError
  // that merely wraps some other exception is not one of them.
  if (original instanceof GraphQLError && typeof code === 'string' && CLIENT_CODES.has(code)) {
    return { error: { ...base, extensions: { ...formatted.extensions, code } } };
  }
  return { error: { ...INTERNAL, path: formatted.path, locations: formatted.locations }, internal: original };
}
