import { replenishWalletPools } from '../services/wallets/replenish-pool.js';
import { defineJob } from './job-definition.js';

/** Keeps WALLET_POOL_MIN_AVAILABLE wallets available per site and payment network. */
export const replenishWalletPoolsJob = defineJob({
  name: 'wallets.replenish-pool',
  every: '5 minutes',
  concurrency: 1,
  lockLifetimeMs: 5 * 60_000,
  async handler(_data, deps) {
    const { logger, metrics } = deps;
    const levels = await replenishWalletPools(deps);
    for (const l of levels) {
      metrics.walletPoolAvailable.set({ site: l.siteId, network: l.network }, l.available);
      if (l.generated) logger.warn({ site: l.siteId, network: l.network, generated: l.generated }, 'wallet pool was low: generated wallets');
    }
  },
});
