import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';

/**
 * A deposit address the watcher looks at: every wallet that holds an open order (ALLOCATED) or rests
 * after one (COOLING_DOWN, so a late transfer is seen and recorded), with the payment token and
 * confirmations of its latest order.
 */
export interface WatchedWallet {
  walletId: string;
  siteId: string;
  address: string;
  /** Payment asset of the wallet's latest order, and its token contract. */
  assetId: string;
  contract: string;
  /** The latest order that used the wallet; credited only while it is open. */
  orderId: string;
  orderCreatedAt: Date;
  confirmationsRequired: number;
}

export async function watchedWallets(em: EntityManager, network: Network): Promise<WatchedWallet[]> {
  const rows = await em.execute<{ wallet_id: string; site_id: string; address: string; asset_id: string; contract: string; order_id: string; order_created_at: Date | string; confirmations_required: number }[]>(
    // all-sites: the watcher serves every site's deposit addresses; each credit below is site-scoped.
    `select distinct on (w.id) w.id as wallet_id, w.site_id, w.address, a.id as asset_id, a.contract_address as contract,
       o.id as order_id, o.created_at as order_created_at, o.confirmations_required
     from wallet w
     join payment_order o on o.wallet_id = w.id and o.site_id = w.site_id
     join asset a on a.id = o.asset_id
     where w.network = ? and w.status in ('ALLOCATED', 'COOLING_DOWN')
     order by w.id, o.created_at desc, o.id desc`,
    [network],
  );
  return rows.map((r) => ({
    walletId: r.wallet_id,
    siteId: r.site_id,
    address: r.address,
    assetId: r.asset_id,
    contract: r.contract,
    orderId: r.order_id,
    orderCreatedAt: new Date(r.order_created_at),
    confirmationsRequired: r.confirmations_required,
  }));
}
