import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventBus } from '../events/pg-pubsub.js';

/** Topic of every order change, keyed by site: one NOTIFY per change feeds both order subscriptions. */
export const ORDER_CHANGED = 'ORDER_CHANGED';

export interface OrderChanged {
  orderId: string;
}

/** Announces an order change when `tx` commits (and never if it rolls back). Subscribers re-read the order. */
export function publishOrderChanged(tx: EntityManager, events: EventBus, siteId: string, orderId: string): Promise<void> {
  return events.publishIn(tx, ORDER_CHANGED, { orderId } satisfies OrderChanged, siteId);
}
