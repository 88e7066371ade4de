import { DomainError } from '../errors.js';

export enum PayoutErrorCode {
  RELEASE_STATUS_CONFLICT = 'RELEASE_STATUS_CONFLICT',
  CUSTODY_TRANSACTION_NOT_FAILED = 'CUSTODY_TRANSACTION_NOT_FAILED',
}

export class ReleaseStatusConflictError extends DomainError {
  readonly reason = PayoutErrorCode.RELEASE_STATUS_CONFLICT;
  constructor(action: string, status: string) {
    super(`Cannot ${action} a release that is ${status}`, { status });
  }
}

/** retryRelease: custody does not confirm that the release's last transaction failed, so a new one could pay it twice. */
export class CustodyNotFailedError extends DomainError {
  readonly reason = PayoutErrorCode.CUSTODY_TRANSACTION_NOT_FAILED;
  constructor(key: string, why: string) {
    super(`The release's custody transaction ${key} is not known to have failed (${why}); it is not retried`, { custodyKey: key });
  }
}
