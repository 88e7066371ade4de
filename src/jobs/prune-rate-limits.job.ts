import { pruneExpired } from '../services/rate-limit/fixed-window.js';
import { defineJob } from './job-definition.js';

/** Expired login-limit windows are dead weight; the counters work without this, the table just grows. */
export const pruneRateLimitsJob = defineJob({
  name: 'rate-limits.prune',
  every: '10 minutes',
  concurrency: 1,
  lockLifetimeMs: 60_000,
  async handler(_data, { orm, logger }) {
    const removed = await pruneExpired(orm.em.fork());
    if (removed) logger.info({ removed }, 'pruned expired rate-limit windows');
  },
});
