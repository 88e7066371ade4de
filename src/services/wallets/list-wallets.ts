import type { Network, WalletStatus } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';
import { asDate, asDateOrNull } from '../../db/plain-reads.js';
import { keysetRows, oneOf, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';
import type { WalletView } from './wallet-view.js';

export interface WalletQuery {
  network?: Network | null;
  status?: WalletStatus[] | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** Newest first, keyset-paginated, inside one site; plain rows (no entity hydration). */
export async function listWallets(scope: Scope, q: WalletQuery): Promise<Page<WalletView>> {
  const where: SqlFragment[] = [];
  if (q.network) where.push({ sql: 'w.network = ?', params: [q.network] });
  if (q.status?.length) where.push(oneOf('w.status', q.status));
  const page = await keysetRows<WalletView>(scope.deps.reads, {
    from: 'wallet w left join asset a on a.id = w.balance_asset_id',
    alias: 'w',
    columns: `w.id, w.network, w.address, w.label, w.status, w.balance, a.decimals as "balanceDecimals", w.balance_synced_at as "balanceSyncedAt", w.current_order_id as "currentOrderId", w.created_at as "createdAt"`,
    siteId: requireSiteId(scope),
    timeColumn: 'created_at',
    where,
    ...q,
  });
  return { ...page, items: page.items.map((w) => ({ ...w, createdAt: asDate(w.createdAt), balanceSyncedAt: asDateOrNull(w.balanceSyncedAt) })) };
}
