import DataLoader from 'dataloader';
import { requireSiteId } from '../auth/actor.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import { ORDER_COLUMNS, ORDER_FROM, orderView, visibleOrders, type OrderRow, type OrderView } from './order-view.js';

/** One order of the caller's site that the caller may see, or null: another site's or another customer's order reads as missing. */
export async function findOrder(scope: Scope, id: string): Promise<OrderView | null> {
  if (!isUuid(id)) return null;
  const visible = visibleOrders(scope.actor);
  const [row] = await scope.deps.reads.rows<OrderRow>(
    `select ${ORDER_COLUMNS} from ${ORDER_FROM} where o.id = ? and o.site_id = ?${visible.map((c) => ` and ${c.sql}`).join('')}`,
    [id, requireSiteId(scope), ...visible.flatMap((c) => c.params ?? [])],
  );
  return row ? orderView(row) : null;
}

const loaders = new WeakMap<Scope, DataLoader<string, OrderView | null>>();

/** findOrder batched per request, e.g. for the current orders of a page of wallets. */
export function loadOrder(scope: Scope, id: string): Promise<OrderView | null> {
  let loader = loaders.get(scope);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const visible = visibleOrders(scope.actor);
      const rows = await scope.deps.reads.rows<OrderRow>(
        `select ${ORDER_COLUMNS} from ${ORDER_FROM} where o.id = any(?::uuid[]) and o.site_id = ?${visible.map((c) => ` and ${c.sql}`).join('')}`,
        [ids.filter(isUuid), requireSiteId(scope), ...visible.flatMap((c) => c.params ?? [])],
      );
      const byId = new Map(rows.map((r) => [r.id, orderView(r)]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    loaders.set(scope, loader);
  }
  return loader.load(id);
}
