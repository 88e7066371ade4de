import { OrderStatus } from '../../entities/enums.js';
import type { Deps } from '../../deps.js';
import { sql } from '../db/transition.js';
import { changeOrderStatus } from './change-order-status.js';

const BATCH = 200;

interface Due {
  id: string;
  site_id: string;
  status: OrderStatus;
}

/**
 * Ends the open orders whose time is up (domain.md, Order): PENDING (nothing seen) -> EXPIRED;
 * CONFIRMING with every seen transfer confirmed and still short -> UNDERPAID. A CONFIRMING order with a
 * transfer still gaining confirmations waits for it: that money was sent in time. Each order changes
 * in its own transaction through the same conditional transition as the watcher's, so the two never
 * both win. Returns how many orders changed; stops at `deadline` and leaves the rest for the next run.
 */
export async function expireOrders(deps: Pick<Deps, 'orm' | 'events' | 'clock'>, deadline: Date): Promise<{ expired: number; underpaid: number }> {
  const counts = { expired: 0, underpaid: 0 };
  const em = deps.orm.em.fork();
  let lastId = '00000000-0000-0000-0000-000000000000';
  while (deps.clock.now() < deadline) {
    const now = deps.clock.now();
    const due = await em.execute<Due[]>(
      // all-sites: the expiry job ends every site's overdue orders; each change below is site-scoped.
      `select id, site_id, status from payment_order
       where status in ('PENDING', 'CONFIRMING') and expires_at <= ? and id > ?
         and (status = 'PENDING' or (amount_received = amount_confirmed and amount_confirmed < amount_expected))
       order by id limit ?`,
      [now, lastId, BATCH],
    );
    for (const order of due) {
      const expire = order.status === OrderStatus.PENDING;
      const r = await em.transactional((tx) =>
        changeOrderStatus(tx, { actor: null, siteId: order.site_id, ip: null }, deps.events, {
          orderId: order.id,
          siteId: order.site_id,
          from: [order.status],
          to: expire ? OrderStatus.EXPIRED : OrderStatus.UNDERPAID,
          // Re-checked under the row lock: a transfer credited since the select keeps the order open.
          where: expire
            ? sql('t.expires_at <= ? and t.amount_received = 0', now)
            : sql('t.expires_at <= ? and t.amount_received = t.amount_confirmed and t.amount_confirmed < t.amount_expected', now),
          audit: { action: expire ? 'order.expired' : 'order.underpaid' },
        }),
      );
      if (r.ok) counts[expire ? 'expired' : 'underpaid']++;
    }
    if (due.length < BATCH) break;
    lastId = due[due.length - 1]!.id;
  }
  return counts;
}
