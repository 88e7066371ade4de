import type { Scope } from '../scope.js';
import { requireSiteId } from '../auth/actor.js';
import { NotFoundError, UnauthenticatedError } from '../errors.js';
import { andAll } from '../db/transition.js';
import { filterMap } from '../events/filter-map.js';
import { findOrder } from './find-order.js';
import { ORDER_CHANGED, type OrderChanged } from './order-events.js';
import { ORDER_COLUMNS, ORDER_FROM, orderView, visibleOrders, type OrderRow, type OrderView } from './order-view.js';

/**
 * The order as the subscriber may see it now, read together with whether the subscriber's session is
 * still live and its role unchanged: a subscription outlives the request that opened it, so each event
 * is authorized again (a logged-out or re-roled user stops receiving at once).
 */
async function readForSubscriber(scope: Scope, siteId: string, orderId: string): Promise<{ live: boolean; order: OrderView | null }> {
  const actor = scope.actor;
  if (!actor) return { live: false, order: null };
  const visible = andAll(visibleOrders(actor));
  const session = actor.sessionId
    ? { sql: 'exists (select 1 from user_session s join app_user u on u.id = s.user_id where s.id = ? and s.user_id = ? and s.revoked_at is null and s.expires_at > now() and u.role = ?)', params: [actor.sessionId, actor.userId, actor.role] }
    : { sql: 'true', params: [] };
  const [row] = await scope.deps.reads.rows<{ session_live: boolean } & Partial<OrderRow>>(
    `select ${session.sql} as session_live, x.* from (select 1) as one left join (
       select ${ORDER_COLUMNS} from ${ORDER_FROM} where o.id = ? and o.site_id = ?${visible.sql}
     ) as x on true`,
    [...session.params, orderId, siteId, ...visible.params],
  );
  return { live: row?.session_live === true, order: row?.id ? orderView(row as OrderRow) : null };
}

function changes(scope: Scope, siteId: string, onlyOrderId: string | null): AsyncIterable<OrderView> {
  return filterMap(scope.deps.events.subscribe(ORDER_CHANGED, siteId), async (event) => {
    const { orderId } = event as OrderChanged;
    if (onlyOrderId && orderId !== onlyOrderId) return undefined;
    const { live, order } = await readForSubscriber(scope, siteId, orderId);
    if (!live) throw new UnauthenticatedError('Session ended: subscribe again after signing in');
    return order ?? undefined;
  });
}

/**
 * Every change of one order, for its customer or the site's staff. Checked when subscribing (another
 * site's or another customer's order is NOT_FOUND, like a missing one) and again for every event.
 */
export async function orderUpdates(scope: Scope, orderId: string): Promise<AsyncIterable<OrderView>> {
  const siteId = requireSiteId(scope);
  if (!(await findOrder(scope, orderId))) throw new NotFoundError('Order');
  return changes(scope, siteId, orderId);
}

/** Every order change of the caller's site (staff; the permission rule checks the role). */
export function siteOrderUpdates(scope: Scope): AsyncIterable<OrderView> {
  return changes(scope, requireSiteId(scope), null);
}
