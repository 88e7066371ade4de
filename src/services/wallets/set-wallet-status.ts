import type { EntityManager } from '@mikro-orm/postgresql';
import { WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import type { RequestScope } from '../auth/actor.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors.js';
import { WalletStatusConflictError } from './errors.js';

/**
 * Admins move wallets between AVAILABLE-ish states and DISABLED only; ALLOCATED and COOLING_DOWN belong
 * to the order flow. One conditional UPDATE decides, so a concurrent allocation cannot be overridden.
 */
export async function setWalletStatus(em: EntityManager, scope: RequestScope, id: string, status: WalletStatus): Promise<Wallet> {
  if (!scope.siteId) throw new ForbiddenError('Choose a site for this operation');
  if (status !== WalletStatus.DISABLED && status !== WalletStatus.AVAILABLE) {
    throw new InvalidInputError(`${status} is set by the order flow, not by hand`, { field: 'status' });
  }
  // DISABLED from anything but ALLOCATED; AVAILABLE again only from DISABLED.
  const allowedFrom = status === WalletStatus.DISABLED ? `status <> 'ALLOCATED'` : `status = 'DISABLED'`;
  return em.transactional(async (tx) => {
    const rows = await tx.execute<{ previous: WalletStatus }[]>(
      `with prev as (select id, status from wallet where id = ? and site_id = ? for update)
       update wallet w set status = ?, cooling_down_until = null, updated_at = now()
       from prev where w.id = prev.id and prev.${allowedFrom}
       returning prev.status as previous`,
      [id, scope.siteId, status],
    );
    const wallet = await tx.findOne(Wallet, { id, site: scope.siteId }, { refresh: true });
    if (!wallet) throw new NotFoundError('Wallet');
    if (!rows[0]) {
      if (wallet.status === status) return wallet; // already there: idempotent
      throw new WalletStatusConflictError(`A ${wallet.status} wallet cannot be set to ${status}`, { status: wallet.status });
    }
    if (rows[0].previous !== status) {
      recordAudit(tx, scope, { action: 'wallet.status_changed', targetType: 'Wallet', targetId: id, details: { from: rows[0].previous, to: status } });
    }
    return wallet;
  });
}
