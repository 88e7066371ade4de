import type { EntityManager } from '@mikro-orm/postgresql';
import { OrderStatus } from '../../entities/enums.js';
import { sql } from '../db/transition.js';
import { fromBaseUnits } from '../money/amount.js';
import type { EventBus } from '../events/pg-pubsub.js';
import { changeOrderStatus } from '../orders/change-order-status.js';
import { publishOrderChanged } from '../orders/order-events.js';
import { paymentStatus } from './payment-progress.js';

interface Snapshot {
  status: OrderStatus;
  amount_expected: string;
  amount_received: string;
  amount_confirmed: string;
  confirmations: number;
  received: string;
  confirmed: string;
  min_confirmations: number | null;
  decimals: number;
}

const AUDIT_ACTION: Partial<Record<OrderStatus, string>> = {
  [OrderStatus.CONFIRMING]: 'order.confirming',
  [OrderStatus.PAID]: 'order.paid',
};

/**
 * Brings an order in line with its credited transfers, inside the caller's transaction: the sums of
 * what arrived and what is confirmed, the fewest confirmations, and the status they call for (through
 * the one status-change path, so the wallet goes to its cool-down when the order is PAID). Publishes
 * an event whenever anything the API shows changed. Returns the status after.
 */
export async function settleOrder(tx: EntityManager, events: EventBus, siteId: string, orderId: string): Promise<OrderStatus> {
  await tx.execute('select 1 from payment_order where id = ? and site_id = ? for update', [orderId, siteId]);
  const [s] = await tx.execute<Snapshot[]>(
    `select o.status, o.amount_expected, o.amount_received, o.amount_confirmed, o.confirmations,
       coalesce(sum(t.amount) filter (where t.status <> 'REORGED'), 0)::text as received,
       coalesce(sum(t.amount) filter (where t.status = 'CONFIRMED'), 0)::text as confirmed,
       min(t.confirmations) filter (where t.status <> 'REORGED') as min_confirmations, a.decimals
     from payment_order o join asset a on a.id = o.asset_id
     left join chain_transfer t on t.order_id = o.id and t.site_id = o.site_id
     where o.id = ? and o.site_id = ?
     group by o.id, a.decimals`,
    [orderId, siteId],
  );
  if (!s) throw new Error(`order ${orderId} vanished while settling`);
  const totals = { received: BigInt(s.received), confirmed: BigInt(s.confirmed), confirmations: s.min_confirmations ?? 0 };
  const next = paymentStatus(s.status, BigInt(s.amount_expected), totals);
  const amounts = { amount_received: s.received, amount_confirmed: s.confirmed, confirmations: totals.confirmations };
  if (next !== s.status) {
    const r = await changeOrderStatus(tx, { actor: null, siteId, ip: null }, events, {
      orderId,
      siteId,
      from: [s.status],
      to: next,
      set: next === OrderStatus.PAID ? { ...amounts, paid_at: sql('now()') } : amounts,
      audit: { action: AUDIT_ACTION[next] ?? `order.${next.toLowerCase()}`, details: { amountReceived: fromBaseUnits(s.received, s.decimals), amountConfirmed: fromBaseUnits(s.confirmed, s.decimals) } },
    });
    if (!r.ok) throw new Error(`order ${orderId} changed under its row lock`);
    return next;
  }
  const unchanged = s.amount_received === s.received && s.amount_confirmed === s.confirmed && s.confirmations === totals.confirmations;
  if (unchanged || (s.status !== OrderStatus.PENDING && s.status !== OrderStatus.CONFIRMING)) return s.status;
  await tx.execute('update payment_order set amount_received = ?, amount_confirmed = ?, confirmations = ?, updated_at = now() where id = ? and site_id = ?', [
    s.received,
    s.confirmed,
    totals.confirmations,
    orderId,
    siteId,
  ]);
  await publishOrderChanged(tx, events, siteId, orderId);
  return s.status;
}
