import { unlockDueReleases } from '../services/vesting/unlock-releases.js';
import { defineJob } from './job-definition.js';

/** Vesting releases whose time has come are unlocked (LOCKED -> UNLOCKED), ready for a payout batch. */
export const unlockReleasesJob = defineJob({
  name: 'releases.unlock',
  every: '1 minute',
  concurrency: 1,
  lockLifetimeMs: 120_000,
  async handler(_data, deps, run) {
    const n = await unlockDueReleases(deps, deps.clock.now(), run.deadline);
    if (n) deps.logger.info({ releases: n }, 'releases unlocked');
  },
});
