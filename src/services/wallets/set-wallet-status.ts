import type { EntityManager } from '@mikro-orm/postgresql';
import { WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId, type RequestScope } from '../auth/actor.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { WalletStatusConflictError } from './errors.js';

/**
 * Admins move wallets between AVAILABLE-ish states and DISABLED only; ALLOCATED and COOLING_DOWN belong
 * to the order flow. One conditional UPDATE decides, so a concurrent allocation cannot be overridden.
 */
export async function setWalletStatus(em: EntityManager, scope: RequestScope, id: string, status: WalletStatus): Promise<Wallet> {
  if (status !== WalletStatus.DISABLED && status !== WalletStatus.AVAILABLE) {
    throw new InvalidInputError(`${status} is set by the order flow, not by hand`, { field: 'status' });
  }
  const siteId = requireSiteId(scope);
  if (!isUuid(id)) throw new NotFoundError('Wallet');
  // DISABLED from anything but ALLOCATED, keeping a running cool-down; re-enabled from DISABLED only,
  // and back to COOLING_DOWN if that cool-down has not passed, so disabling never skips it.
  const sql =
    status === WalletStatus.DISABLED
      ? `with prev as (select id, status from wallet where id = ? and site_id = ? for update)
         update wallet w set status = 'DISABLED', updated_at = now()
         from prev where w.id = prev.id and prev.status <> 'ALLOCATED'
         returning prev.status as previous, w.status as current`
      : `with prev as (select id, status from wallet where id = ? and site_id = ? for update)
         update wallet w set
           status = (case when w.cooling_down_until > now() then 'COOLING_DOWN' else 'AVAILABLE' end)::wallet_status,
           cooling_down_until = case when w.cooling_down_until > now() then w.cooling_down_until end,
           updated_at = now()
         from prev where w.id = prev.id and prev.status = 'DISABLED'
         returning prev.status as previous, w.status as current`;
  return em.transactional(async (tx) => {
    const rows = await tx.execute<{ previous: WalletStatus; current: WalletStatus }[]>(sql, [id, siteId]);
    const wallet = await tx.findOne(Wallet, { id, site: siteId }, { refresh: true });
    if (!wallet) throw new NotFoundError('Wallet');
    if (!rows[0]) {
      // Already there (or resting before it is available again): idempotent.
      if (wallet.status === status || (status === WalletStatus.AVAILABLE && wallet.status === WalletStatus.COOLING_DOWN)) return wallet;
      throw new WalletStatusConflictError(`A ${wallet.status} wallet cannot be set to ${status}`, { status: wallet.status });
    }
    if (rows[0].previous !== rows[0].current) {
      recordAudit(tx, scope, { action: 'wallet.status_changed', targetType: 'Wallet', targetId: id, details: { from: rows[0].previous, to: rows[0].current } });
    }
    return wallet;
  });
}
