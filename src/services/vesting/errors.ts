import { DomainError } from '../errors.js';

export enum VestingErrorCode {
  ALLOCATION_STATUS_CONFLICT = 'ALLOCATION_STATUS_CONFLICT',
}

export class AllocationStatusConflictError extends DomainError {
  readonly reason = VestingErrorCode.ALLOCATION_STATUS_CONFLICT;
  constructor(action: string, status: string) {
    super(`Cannot ${action} an allocation that is ${status}`, { status });
  }
}
