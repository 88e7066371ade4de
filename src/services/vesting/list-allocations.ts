import type { AllocationStatus } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';
import { idIs, keysetRows, oneOf, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';
import { ALLOCATION_COLUMNS, ALLOCATION_FROM, allocationView, visibleAllocations, type AllocationRow, type AllocationView } from './allocation-view.js';

export interface AllocationQuery {
  status?: AllocationStatus[] | null;
  beneficiaryId?: string | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** The site's allocations newest first (a customer's own only), with their amounts by release state. */
export async function listAllocations(scope: Scope, q: AllocationQuery): Promise<Page<AllocationView>> {
  const where: SqlFragment[] = [...visibleAllocations(scope.actor)];
  if (q.status?.length) where.push(oneOf('al.status', q.status));
  if (q.beneficiaryId) where.push(idIs('al.beneficiary_id', q.beneficiaryId));
  const page = await keysetRows<AllocationRow>(scope.deps.reads, {
    from: ALLOCATION_FROM,
    alias: 'al',
    columns: ALLOCATION_COLUMNS,
    siteId: requireSiteId(scope),
    timeColumn: 'created_at',
    where,
    first: q.first,
    after: q.after,
    withTotal: q.withTotal,
  });
  return { ...page, items: page.items.map(allocationView) };
}
