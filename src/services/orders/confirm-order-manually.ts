import { OrderStatus } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import { sql } from '../db/transition.js';
import { NotFoundError } from '../errors.js';
import { fromBaseUnits } from '../money/amount.js';
import type { Scope } from '../scope.js';
import { changeOrderStatus } from './change-order-status.js';
import { OrderStatusConflictError } from './errors.js';
import { findOrder } from './find-order.js';
import type { OrderView } from './order-view.js';
import { requiredReason } from './reason.js';

/**
 * An admin's override after checking the chain by hand: PENDING, CONFIRMING or UNDERPAID becomes PAID,
 * with the reason in the audit log. The amounts stay what the chain showed, so the record keeps the
 * difference the admin accepted.
 */
export async function confirmOrderManually(scope: Scope, input: { id: string; reason: string }): Promise<OrderView> {
  const siteId = requireSiteId(scope);
  const reason = requiredReason(input.reason);
  const order = await findOrder(scope, input.id);
  if (!order) throw new NotFoundError('Order');
  const r = await scope.em.transactional((tx) =>
    changeOrderStatus(tx, scope, scope.deps.events, {
      orderId: order.id,
      siteId,
      from: [OrderStatus.PENDING, OrderStatus.CONFIRMING, OrderStatus.UNDERPAID],
      to: OrderStatus.PAID,
      set: { paid_at: sql('now()') },
      audit: { action: 'order.confirmed_manually', details: { reference: order.reference, reason, amountReceived: fromBaseUnits(order.amountReceived, order.asset.decimals) } },
    }),
  );
  if (!r.ok) {
    if (r.reason === 'not_found') throw new NotFoundError('Order');
    throw new OrderStatusConflictError('confirm', r.current);
  }
  return (await findOrder(scope, order.id))!;
}
