import { payoutBacklog } from '../services/payouts/payout-backlog.js';
import { reconcilePayouts } from '../services/payouts/reconcile.js';
import { defineJob } from './job-definition.js';

/** Releases PROCESSING for too long are looked up at custody and settled; the backlog gauges are refreshed. */
export const reconcilePayoutsJob = defineJob({
  name: 'payouts.reconcile',
  every: '1 minute',
  concurrency: 1,
  lockLifetimeMs: 120_000,
  async handler(_data, deps, run) {
    const report = await reconcilePayouts(deps, run.deadline);
    const backlog = await payoutBacklog(deps);
    deps.metrics.releasesProcessingStuck.set(backlog.processingStuck);
    deps.metrics.releasesUnlockedPending.set(backlog.unlockedPending);
    if (report.checked) deps.logger.info(report, 'payouts reconciled');
  },
});
