import type { JobDefinition } from './job-definition.js';
import { endWalletCooldownsJob } from './end-wallet-cooldowns.job.js';
import { expireOrdersJob } from './expire-orders.job.js';
import { unlockReleasesJob } from './unlock-releases.job.js';
import { reconcilePayoutsJob } from './reconcile-payouts.job.js';
import { deliverWebhooksJob } from './deliver-webhooks.job.js';
import { sendEmailsJob } from './send-emails.job.js';
import { pruneRateLimitsJob } from './prune-rate-limits.job.js';
import { pruneSessionsJob } from './prune-sessions.job.js';
import { replenishWalletPoolsJob } from './replenish-wallet-pools.job.js';
import { rotateWalletKeysJob } from './rotate-wallet-keys.job.js';
import { syncWalletBalancesJob } from './sync-wallet-balances.job.js';

/** Every job the workers run. Add a job by adding its file here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own data type; Agenda stores it as JSON.
export const jobRegistry: readonly JobDefinition<any>[] = [
  pruneRateLimitsJob,
  pruneSessionsJob,
  endWalletCooldownsJob,
  replenishWalletPoolsJob,
  syncWalletBalancesJob,
  rotateWalletKeysJob,
  expireOrdersJob,
  unlockReleasesJob,
  reconcilePayoutsJob,
  deliverWebhooksJob,
  sendEmailsJob,
];
