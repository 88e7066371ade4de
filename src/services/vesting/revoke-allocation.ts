import { AllocationStatus } from '../../entities/enums.js';
import { Allocation } from '../../entities/allocation.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { transition } from '../db/transition.js';
import { NotFoundError } from '../errors.js';
import { fromBaseUnits } from '../money/amount.js';
import { requiredReason } from '../orders/reason.js';
import type { Scope } from '../scope.js';
import type { AllocationView } from './allocation-view.js';
import { AllocationStatusConflictError } from './errors.js';
import { findAllocation, loadAllocation } from './find-allocation.js';
import { publishReleasesChanged } from './release-events.js';

/**
 * Stops an allocation's future releases (SITE_ADMIN): ACTIVE -> REVOKED, its LOCKED and UNLOCKED
 * releases CANCELLED (kept for the record, never paid), while PROCESSING and RELEASED ones stay: money
 * already on its way is not called back. One transaction, audited with what was cancelled.
 */
export async function revokeAllocation(scope: Scope, input: { id: string; reason: string }): Promise<AllocationView> {
  const siteId = requireSiteId(scope);
  const reason = requiredReason(input.reason);
  const found = await loadAllocation(scope, input.id);
  if (!found) throw new NotFoundError('Allocation');
  await scope.em.transactional(async (tx) => {
    const r = await transition(tx, Allocation, { id: found.id, siteId, from: [AllocationStatus.ACTIVE], to: AllocationStatus.REVOKED });
    if (!r.ok) {
      if (r.reason === 'not_found') throw new NotFoundError('Allocation');
      throw new AllocationStatusConflictError('revoke', r.current);
    }
    const cancelled = await tx.execute<{ id: string; amount: string }[]>(
      `update vesting_release set status = 'CANCELLED', updated_at = now()
       where allocation_id = ? and site_id = ? and status in ('LOCKED', 'UNLOCKED') returning id, amount`,
      [found.id, siteId],
    );
    const sum = cancelled.reduce((s, c) => s + BigInt(c.amount), 0n);
    recordAudit(tx, scope, {
      action: 'allocation.revoked',
      targetType: 'Allocation',
      targetId: found.id,
      details: { reason, cancelledReleases: cancelled.length, cancelledAmount: fromBaseUnits(sum, found.asset.decimals) },
    });
    await publishReleasesChanged(tx, scope.deps.events, siteId, cancelled.map((c) => c.id));
  });
  // A fresh read: the request's loader holds the allocation as it was before.
  return (await findAllocation(scope, found.id))!;
}
