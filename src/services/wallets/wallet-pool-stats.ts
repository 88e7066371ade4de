import { Network, WalletStatus } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import type { Scope } from '../scope.js';

export interface PoolStats {
  network: Network;
  available: number;
  allocated: number;
  coolingDown: number;
  disabled: number;
}

/** Wallets per network and status in one site, every network listed even when it has none. */
export async function walletPoolStats(scope: Scope): Promise<PoolStats[]> {
  const rows = await scope.deps.reads.rows<{ network: Network; status: WalletStatus; n: string }>(
    `select network, status, count(*) as n from wallet where site_id = ? group by network, status`,
    [requireSiteId(scope)],
  );
  return Object.values(Network).map((network) => {
    const count = (status: WalletStatus) => Number(rows.find((r) => r.network === network && r.status === status)?.n ?? 0);
    return {
      network,
      available: count(WalletStatus.AVAILABLE),
      allocated: count(WalletStatus.ALLOCATED),
      coolingDown: count(WalletStatus.COOLING_DOWN),
      disabled: count(WalletStatus.DISABLED),
    };
  });
}
