import type { Deps } from '../../deps.js';
import type { Network } from '../../entities/enums.js';
import { recordAudit } from '../audit/record-audit.js';
import { MAX_GENERATE, generateWallets } from './generate-wallets.js';

export interface PoolLevel {
  siteId: string;
  network: Network;
  available: number;
  generated: number;
}

/**
 * Keeps at least `minAvailable` AVAILABLE wallets per site and network that takes payments there (an
 * active PAYMENT asset). A low pool is audited before it is refilled, so operators see it happened.
 */
export async function replenishWalletPools(deps: Deps): Promise<PoolLevel[]> {
  const minAvailable = deps.config.WALLET_POOL_MIN_AVAILABLE;
  const em = deps.orm.em.fork();
  const rows = await em.execute<{ site_id: string; network: Network; available: string }[]>(
    // all-sites: the replenish job tops up every site's pool; each refill below runs in its own site.
    `select a.site_id, a.network, count(w.id) filter (where w.status = 'AVAILABLE') as available
     from (select distinct site_id, network from asset where purpose = 'PAYMENT' and active) a
     left join wallet w on w.site_id = a.site_id and w.network = a.network
     group by a.site_id, a.network
     order by a.site_id, a.network`,
  );
  const levels: PoolLevel[] = [];
  for (const r of rows) {
    const available = Number(r.available);
    const missing = Math.min(MAX_GENERATE, minAvailable - available);
    if (missing <= 0) {
      levels.push({ siteId: r.site_id, network: r.network, available, generated: 0 });
      continue;
    }
    await em.fork().transactional(async (tx) => {
      const scope = { em: tx, deps, actor: null, siteId: r.site_id, ip: null };
      recordAudit(tx, scope, { action: 'wallet.pool_low', targetType: 'WalletPool', targetId: `${r.site_id}:${r.network}`, details: { network: r.network, available, minimum: minAvailable } });
      await generateWallets(scope, { network: r.network, count: missing, labelPrefix: 'auto' });
    });
    levels.push({ siteId: r.site_id, network: r.network, available: available + missing, generated: missing });
  }
  return levels;
}
