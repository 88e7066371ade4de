import DataLoader from 'dataloader';
import { requireSiteId } from '../auth/actor.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import { ALLOCATION_COLUMNS, ALLOCATION_FROM, allocationView, visibleAllocations, type AllocationRow, type AllocationView } from './allocation-view.js';

/** Allocations of the caller's site it may see, by id or by order id, batched per request. */
async function readAllocations(scope: Scope, key: 'al.id' | 'al.order_id', ids: readonly string[]): Promise<AllocationView[]> {
  const visible = visibleAllocations(scope.actor);
  const rows = await scope.deps.reads.rows<AllocationRow>(
    `select ${ALLOCATION_COLUMNS} from ${ALLOCATION_FROM} where ${key} = any(?::uuid[]) and al.site_id = ?${visible.map((c) => ` and ${c.sql}`).join('')}`,
    [ids.filter(isUuid), requireSiteId(scope), ...visible.flatMap((c) => c.params ?? [])],
  );
  return rows.map(allocationView);
}

/** One allocation read now, bypassing the request's loader (e.g. after the request changed it). */
export async function findAllocation(scope: Scope, id: string): Promise<AllocationView | null> {
  return (await readAllocations(scope, 'al.id', [id]))[0] ?? null;
}

const byId = new WeakMap<Scope, DataLoader<string, AllocationView | null>>();
const byOrder = new WeakMap<Scope, DataLoader<string, AllocationView | null>>();

function loader(cache: WeakMap<Scope, DataLoader<string, AllocationView | null>>, scope: Scope, key: 'al.id' | 'al.order_id', keyOf: (a: AllocationView) => string | null) {
  let l = cache.get(scope);
  if (!l) {
    l = new DataLoader(async (ids: readonly string[]) => {
      const found = new Map((await readAllocations(scope, key, ids)).map((a) => [keyOf(a), a]));
      return ids.map((id) => found.get(id) ?? null);
    });
    cache.set(scope, l);
  }
  return l;
}

/** One allocation, or null when it is another site's or (for a customer) someone else's. */
export function loadAllocation(scope: Scope, id: string): Promise<AllocationView | null> {
  return loader(byId, scope, 'al.id', (a) => a.id).load(id);
}

/** The allocation of a PAID order, if the caller may see it. */
export function loadOrderAllocation(scope: Scope, orderId: string): Promise<AllocationView | null> {
  return loader(byOrder, scope, 'al.order_id', (a) => a.orderId).load(orderId);
}
