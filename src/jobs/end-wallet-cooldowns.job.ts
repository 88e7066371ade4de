import { endCooldowns } from '../services/wallets/end-cooldowns.js';
import { defineJob } from './job-definition.js';

/** Wallets whose cool-down has passed go back to the pool. */
export const endWalletCooldownsJob = defineJob({
  name: 'wallets.end-cooldown',
  every: '1 minute',
  concurrency: 1,
  lockLifetimeMs: 60_000,
  async handler(_data, { orm, logger }) {
    const n = await endCooldowns(orm.em.fork());
    if (n) logger.info({ wallets: n }, 'wallets back in the pool after cool-down');
  },
});
