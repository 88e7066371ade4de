import { deliverDueWebhooks } from '../services/notifications/deliver.js';
import { webhookQueueDepth } from '../services/notifications/queue-depth.js';
import { defineJob } from './job-definition.js';

/** Merchant webhooks that are due (new, or whose retry time came) are attempted. */
export const deliverWebhooksJob = defineJob({
  name: 'webhooks.deliver',
  every: '5 seconds',
  concurrency: 1,
  lockLifetimeMs: 120_000,
  async handler(_data, deps, run) {
    const r = await deliverDueWebhooks(deps, run.deadline);
    deps.metrics.webhookQueueDepth.set(await webhookQueueDepth(deps));
    if (r.attempted) deps.logger.info(r, 'webhooks attempted');
  },
});
