import { DomainError } from '../errors.js';

export enum PayoutErrorCode {
  RELEASE_STATUS_CONFLICT = 'RELEASE_STATUS_CONFLICT',
  CUSTODY_UNCONFIRMED = 'CUSTODY_UNCONFIRMED',
}

export class ReleaseStatusConflictError extends DomainError {
  readonly reason = PayoutErrorCode.RELEASE_STATUS_CONFLICT;
  constructor(action: string, status: string) {
    super(`Cannot ${action} a release that is ${status}`, { status });
  }
}

/** retryRelease: custody did not answer about the release's last transaction; without its answer a new one could pay it twice. */
export class CustodyUnconfirmedError extends DomainError {
  readonly reason = PayoutErrorCode.CUSTODY_UNCONFIRMED;
  constructor(key: string) {
    super(`Custody did not answer about the release's transaction ${key}; it is not retried without that answer, try again`, { custodyKey: key });
  }
}
