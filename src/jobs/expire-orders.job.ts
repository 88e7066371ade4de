import { expireOrders } from '../services/orders/expire-orders.js';
import { defineJob } from './job-definition.js';

/** Orders past their expiry end as EXPIRED or UNDERPAID, and their wallets start the cool-down. */
export const expireOrdersJob = defineJob({
  name: 'orders.expire',
  every: '15 seconds',
  concurrency: 1,
  lockLifetimeMs: 60_000,
  async handler(_data, deps, run) {
    const n = await expireOrders(deps, run.deadline);
    if (n.expired || n.underpaid) deps.logger.info(n, 'orders ended by expiry');
  },
});
