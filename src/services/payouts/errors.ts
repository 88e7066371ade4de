import { DomainError } from '../errors.js';

export enum PayoutErrorCode {
  RELEASE_STATUS_CONFLICT = 'RELEASE_STATUS_CONFLICT',
}

export class ReleaseStatusConflictError extends DomainError {
  readonly reason = PayoutErrorCode.RELEASE_STATUS_CONFLICT;
  constructor(action: string, status: string) {
    super(`Cannot ${action} a release that is ${status}`, { status });
  }
}
