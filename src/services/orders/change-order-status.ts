import type { EntityManager } from '@mikro-orm/postgresql';
import { OPEN_ORDER_STATUSES, OrderStatus } from '../../entities/enums.js';
import { PaymentOrder } from '../../entities/payment-order.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import type { RequestScope } from '../auth/actor.js';
import { transition, type SqlFragment, type TransitionResult } from '../db/transition.js';
import type { EventBus } from '../events/pg-pubsub.js';
import { createAllocationForOrder } from '../vesting/create-allocation.js';
import { releaseWallet } from '../wallets/release-wallet.js';
import { publishOrderChanged } from './order-events.js';
import { emitEvent } from '../notifications/emit.js';
import type { EventType } from '../notifications/event-types.js';
import { readOrderData } from '../notifications/payloads.js';

export interface OrderStatusChange {
  orderId: string;
  siteId: string;
  from: readonly OrderStatus[];
  to: OrderStatus;
  set?: Record<string, unknown>;
  where?: SqlFragment;
  /** Audit action and details; the actor comes from `who`. */
  audit: { action: string; details?: Record<string, unknown> };
}

/** The merchant notification each status change sends (domain.md, Merchant notifications). */
const ORDER_EVENT: Partial<Record<OrderStatus, EventType>> = {
  [OrderStatus.CONFIRMING]: 'order.confirming',
  [OrderStatus.PAID]: 'order.paid',
  [OrderStatus.UNDERPAID]: 'order.underpaid',
  [OrderStatus.EXPIRED]: 'order.expired',
  [OrderStatus.CANCELLED]: 'order.cancelled',
};

const isOpen = (s: OrderStatus) => (OPEN_ORDER_STATUSES as readonly OrderStatus[]).includes(s);

/**
 * Every order status change goes through here, inside the caller's transaction: the conditional
 * transition, the wallet going to its cool-down when the order leaves PENDING/CONFIRMING (so a late
 * transfer is never credited to the next order), the allocation when it becomes PAID, the audit entry
 * and the event. A refused transition
 * changes nothing and is returned for the caller to map.
 */
export async function changeOrderStatus(
  tx: EntityManager,
  who: Pick<RequestScope, 'actor' | 'siteId' | 'ip'>,
  events: EventBus,
  change: OrderStatusChange,
): Promise<TransitionResult<PaymentOrder, OrderStatus>> {
  const r = await transition(tx, PaymentOrder, { id: change.orderId, siteId: change.siteId, from: change.from, to: change.to, set: change.set, where: change.where });
  if (!r.ok) return r;
  if (isOpen(r.previous) && !isOpen(change.to)) {
    const released = await releaseWallet(tx, change.siteId, r.row.wallet.id, change.orderId);
    // The order held its wallet while open (allocation and order are written together); anything else is a broken invariant.
    if (!released) throw new Error(`order ${change.orderId} left ${r.previous} but did not hold wallet ${r.row.wallet.id}`);
  }
  // PAID and its allocation commit together: a crash in between can neither lose nor double it.
  if (change.to === OrderStatus.PAID) await createAllocationForOrder(tx, who, change.siteId, change.orderId);
  recordAudit(tx, { ...who, siteId: change.siteId }, {
    action: change.audit.action,
    targetType: 'PaymentOrder',
    targetId: change.orderId,
    details: { from: r.previous, to: change.to, ...change.audit.details },
  });
  const type = ORDER_EVENT[change.to];
  if (type) await emitEvent(tx, { siteId: change.siteId, type, data: await readOrderData(tx, change.siteId, change.orderId) });
  await publishOrderChanged(tx, events, change.siteId, change.orderId);
  return r;
}
