import { VestingPlan } from '../../entities/vesting-plan.entity.js';
import { requireSiteId } from '../auth/actor.js';
import type { Scope } from '../scope.js';

/** The site's plans, oldest first (a site has a handful). */
export function listVestingPlans(scope: Scope): Promise<VestingPlan[]> {
  return scope.em.find(VestingPlan, { site: requireSiteId(scope) }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}
