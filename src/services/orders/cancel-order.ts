import { OrderStatus } from '../../entities/enums.js';
import { Role } from '../../entities/role.js';
import { requireSiteId } from '../auth/actor.js';
import { NotFoundError } from '../errors.js';
import type { Scope } from '../scope.js';
import { changeOrderStatus } from './change-order-status.js';
import { OrderStatusConflictError } from './errors.js';
import { findOrder } from './find-order.js';
import type { OrderView } from './order-view.js';
import { optionalReason } from './reason.js';

/**
 * Cancels an order that is still waiting for payment (PENDING). A customer cancels only its own
 * (another customer's order reads as missing); staff cancel any of the site's. Once a transfer was
 * seen (CONFIRMING) the order runs its course: cancelling it could strand money already sent.
 */
export async function cancelOrder(scope: Scope, input: { id: string; reason?: string | null }): Promise<OrderView> {
  const siteId = requireSiteId(scope);
  const reason = optionalReason(input.reason);
  const order = await findOrder(scope, input.id);
  if (!order) throw new NotFoundError('Order');
  const customerOnly = scope.actor?.role === Role.CUSTOMER ? { sql: 't.customer_id = ?', params: [scope.actor.userId] } : undefined;
  const r = await scope.em.transactional((tx) =>
    changeOrderStatus(tx, scope, scope.deps.events, {
      orderId: order.id,
      siteId,
      from: [OrderStatus.PENDING],
      to: OrderStatus.CANCELLED,
      where: customerOnly,
      audit: { action: 'order.cancelled', details: { reference: order.reference, ...(reason ? { reason } : {}) } },
    }),
  );
  if (!r.ok) {
    if (r.reason === 'not_found') throw new NotFoundError('Order');
    throw new OrderStatusConflictError('cancel', r.current);
  }
  return (await findOrder(scope, order.id))!;
}
