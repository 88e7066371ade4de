import { Role } from '../../entities/role.js';
import type { RequestScope } from '../auth/actor.js';
import type { JobStat, JobStatsSource } from './job-stats.js';

/**
 * Jobs are shared by every site, so their failure counts and reasons are platform-wide figures (a
 * balance-sync failure counts other sites' wallets). Only a SUPER_ADMIN sees them; site staff see
 * schedule and activity, with failures reported as 0 and no reason.
 */
export async function listJobStats(scope: Pick<RequestScope, 'actor'>, jobs: JobStatsSource): Promise<JobStat[]> {
  const stats = await jobs.stats();
  if (scope.actor?.role === Role.SUPER_ADMIN) return stats;
  return stats.map((s) => ({ ...s, failed: 0, lastFailureReason: null }));
}
