import { requireSiteId } from '../auth/actor.js';
import { andAll } from '../db/transition.js';
import { isUuid } from '../ids.js';
import { perRequestLoader } from '../per-request-loader.js';
import type { Scope } from '../scope.js';
import { ORDER_COLUMNS, ORDER_FROM, orderView, visibleOrders, type OrderRow, type OrderView } from './order-view.js';

/** Orders of the caller's site that the caller may see, by id: another site's or another customer's order is left out. */
async function readOrders(scope: Scope, ids: readonly string[]): Promise<Map<string, OrderView>> {
  const visible = andAll(visibleOrders(scope.actor));
  const rows = await scope.deps.reads.rows<OrderRow>(`select ${ORDER_COLUMNS} from ${ORDER_FROM} where o.id = any(?::uuid[]) and o.site_id = ?${visible.sql}`, [
    ids.filter(isUuid),
    requireSiteId(scope),
    ...visible.params,
  ]);
  return new Map(rows.map((r) => [r.id, orderView(r)]));
}

/** One order of the caller's site that the caller may see, or null (a missing one and another's read alike). */
export async function findOrder(scope: Scope, id: string): Promise<OrderView | null> {
  return (await readOrders(scope, [id])).get(id) ?? null;
}

/** findOrder batched per request, e.g. for the current orders of a page of wallets. */
export const loadOrder = perRequestLoader(async (scope, ids: readonly string[]) => {
  const found = await readOrders(scope, ids);
  return ids.map((id) => found.get(id) ?? null);
});
