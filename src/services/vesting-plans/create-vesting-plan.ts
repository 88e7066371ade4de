import { Site } from '../../entities/site.entity.js';
import { VestingPlan } from '../../entities/vesting-plan.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { isUniqueViolation } from '../errors.js';
import type { Scope } from '../scope.js';
import { PlanNameTakenError } from './errors.js';

export interface VestingPlanInput {
  name: string;
  tgeBps: number;
  cliffDays: number;
  periods: number;
  periodDays: number;
}

/**
 * A new plan of the caller's site, audited in the same transaction. Plans are immutable (the table
 * refuses updates), so an order's schedule can never move under it; a name is unique per site.
 * Shapes and ranges are checked on the input class (and again by the table's constraints).
 */
export async function createVestingPlan(scope: Scope, input: VestingPlanInput): Promise<VestingPlan> {
  const siteId = requireSiteId(scope);
  const name = input.name.trim();
  try {
    return await scope.em.transactional(async (tx) => {
      const plan = new VestingPlan();
      plan.site = tx.getReference(Site, siteId);
      plan.name = name;
      plan.tgeBps = input.tgeBps;
      plan.cliffDays = input.cliffDays;
      plan.periods = input.periods;
      plan.periodDays = input.periodDays;
      tx.persist(plan);
      recordAudit(tx, scope, {
        action: 'vesting_plan.created',
        targetType: 'VestingPlan',
        targetId: plan.id,
        details: { name, tgeBps: input.tgeBps, cliffDays: input.cliffDays, periods: input.periods, periodDays: input.periodDays },
      });
      return plan;
    });
  } catch (e) {
    if (isUniqueViolation(e, 'vesting_plan_site_name_unique')) throw new PlanNameTakenError();
    throw e;
  }
}
