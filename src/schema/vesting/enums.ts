import { registerEnumType } from 'type-graphql';
import { AllocationStatus, ReleaseStatus as StoredReleaseStatus } from '../../entities/enums.js';

registerEnumType(AllocationStatus, { name: 'AllocationStatus' });

/** The release states the API shows: a CANCELLED release (of a revoked allocation) is never read. */
export enum ReleaseStatus {
  LOCKED = StoredReleaseStatus.LOCKED,
  UNLOCKED = StoredReleaseStatus.UNLOCKED,
  PROCESSING = StoredReleaseStatus.PROCESSING,
  RELEASED = StoredReleaseStatus.RELEASED,
  FAILED = StoredReleaseStatus.FAILED,
}
registerEnumType(ReleaseStatus, { name: 'ReleaseStatus' });

export { AllocationStatus };
