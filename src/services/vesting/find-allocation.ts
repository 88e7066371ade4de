import { requireSiteId } from '../auth/actor.js';
import { andAll } from '../db/transition.js';
import { isUuid } from '../ids.js';
import { perRequestLoader } from '../per-request-loader.js';
import type { Scope } from '../scope.js';
import { ALLOCATION_COLUMNS, ALLOCATION_FROM, allocationView, visibleAllocations, type AllocationRow, type AllocationView } from './allocation-view.js';

/** Allocations of the caller's site it may see, by id or by order id. */
async function readAllocations(scope: Scope, key: 'al.id' | 'al.order_id', ids: readonly string[]): Promise<AllocationView[]> {
  const visible = andAll(visibleAllocations(scope.actor));
  const rows = await scope.deps.reads.rows<AllocationRow>(
    `select ${ALLOCATION_COLUMNS} from ${ALLOCATION_FROM} where ${key} = any(?::uuid[]) and al.site_id = ?${visible.sql}`,
    [ids.filter(isUuid), requireSiteId(scope), ...visible.params],
  );
  return rows.map(allocationView);
}

/** One allocation read now, bypassing the request's loader (e.g. after the request changed it). */
export async function findAllocation(scope: Scope, id: string): Promise<AllocationView | null> {
  return (await readAllocations(scope, 'al.id', [id]))[0] ?? null;
}

function batchBy(key: 'al.id' | 'al.order_id', keyOf: (a: AllocationView) => string | null) {
  return async (scope: Scope, ids: readonly string[]) => {
    const found = new Map((await readAllocations(scope, key, ids)).map((a) => [keyOf(a), a]));
    return ids.map((id) => found.get(id) ?? null);
  };
}

/** One allocation, or null when it is another site's or (for a customer) someone else's; batched per request. */
export const loadAllocation = perRequestLoader(batchBy('al.id', (a) => a.id));

/** The allocation of a PAID order, if the caller may see it; batched per request. */
export const loadOrderAllocation = perRequestLoader(batchBy('al.order_id', (a) => a.orderId));
