import type { EntityManager } from '@mikro-orm/postgresql';
import { WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { sql, transition } from '../db/transition.js';

/**
 * The order left PENDING/CONFIRMING: the wallet rests for the site's cool-down before reuse, so a
 * late transfer is never credited to the next order. Only the holding order can release it.
 */
export async function releaseWallet(em: EntityManager, siteId: string, walletId: string, orderId: string): Promise<boolean> {
  const r = await transition(em, Wallet, {
    id: walletId,
    siteId,
    from: [WalletStatus.ALLOCATED],
    to: WalletStatus.COOLING_DOWN,
    set: {
      current_order_id: null,
      cooling_down_until: sql('now() + make_interval(mins => (select wallet_cooldown_minutes from site where id = ?))', siteId),
    },
    where: sql('t.current_order_id = ?', orderId),
  });
  return r.ok;
}
