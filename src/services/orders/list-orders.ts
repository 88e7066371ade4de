import type { Network, OrderStatus } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';
import { idIs, keysetRows, oneOf, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';
import { ORDER_COLUMNS, ORDER_FROM, orderView, visibleOrders, type OrderRow, type OrderView } from './order-view.js';

export interface OrderQuery {
  status?: OrderStatus[] | null;
  network?: Network | null;
  customerId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  /** Matches the reference or the pay-to address exactly. */
  search?: string | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** The site's orders newest first (a customer's own only), keyset-paginated, as plain rows. */
export async function listOrders(scope: Scope, q: OrderQuery): Promise<Page<OrderView>> {
  const where: SqlFragment[] = [...visibleOrders(scope.actor)];
  if (q.status?.length) where.push(oneOf('o.status', q.status));
  if (q.network) where.push({ sql: 'o.network = ?', params: [q.network] });
  if (q.customerId) where.push(idIs('o.customer_id', q.customerId));
  if (q.createdAfter) where.push({ sql: 'o.created_at > ?', params: [q.createdAfter] });
  if (q.createdBefore) where.push({ sql: 'o.created_at < ?', params: [q.createdBefore] });
  if (q.search) where.push({ sql: '(o.reference = ? or o.pay_to_address = ?)', params: [q.search, q.search] });
  const page = await keysetRows<OrderRow>(scope.deps.reads, {
    from: ORDER_FROM,
    alias: 'o',
    columns: ORDER_COLUMNS,
    siteId: requireSiteId(scope),
    timeColumn: 'created_at',
    where,
    first: q.first,
    after: q.after,
    withTotal: q.withTotal,
  });
  return { ...page, items: page.items.map(orderView) };
}
