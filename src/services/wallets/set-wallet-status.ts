import { WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { sql, transition } from '../db/transition.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import { WalletStatusConflictError } from './errors.js';

// DISABLED from anything but ALLOCATED, keeping a running cool-down; re-enabled from DISABLED only,
// and back to COOLING_DOWN if that cool-down has not passed, so disabling never skips it.
const RULES = {
  [WalletStatus.DISABLED]: { from: [WalletStatus.AVAILABLE, WalletStatus.COOLING_DOWN], to: WalletStatus.DISABLED, set: {} },
  [WalletStatus.AVAILABLE]: {
    from: [WalletStatus.DISABLED],
    to: sql(`(case when t.cooling_down_until > now() then 'COOLING_DOWN' else 'AVAILABLE' end)::wallet_status`),
    set: { cooling_down_until: sql('case when t.cooling_down_until > now() then t.cooling_down_until end') },
  },
} as const;

/**
 * Admins move wallets between AVAILABLE-ish states and DISABLED only; ALLOCATED and COOLING_DOWN belong
 * to the order flow. One conditional UPDATE decides, so a concurrent allocation cannot be overridden.
 */
export async function setWalletStatus(scope: Scope, input: { id: string; status: WalletStatus }): Promise<Wallet> {
  const { id, status } = input;
  if (status !== WalletStatus.DISABLED && status !== WalletStatus.AVAILABLE) {
    throw new InvalidInputError(`${status} is set by the order flow, not by hand`, { field: 'status' });
  }
  const siteId = requireSiteId(scope);
  if (!isUuid(id)) throw new NotFoundError('Wallet');
  return scope.em.transactional(async (tx) => {
    const r = await transition<Wallet, WalletStatus>(tx, Wallet, { id, siteId, ...RULES[status] });
    if (!r.ok) {
      if (r.reason === 'not_found') throw new NotFoundError('Wallet');
      // Already there (or resting before it is available again): idempotent.
      const settled = r.current === status || (status === WalletStatus.AVAILABLE && r.current === WalletStatus.COOLING_DOWN);
      if (!settled) throw new WalletStatusConflictError(`A ${r.current} wallet cannot be set to ${status}`, { status: r.current });
      return tx.findOneOrFail(Wallet, { id, site: siteId }, { populate: ['balanceAsset'] });
    }
    if (r.previous !== r.row.status) {
      recordAudit(tx, scope, { action: 'wallet.status_changed', targetType: 'Wallet', targetId: id, details: { from: r.previous, to: r.row.status } });
    }
    // The API shows the balance in its asset's units.
    await tx.populate(r.row, ['balanceAsset']);
    return r.row;
  });
}
