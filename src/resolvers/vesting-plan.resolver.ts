import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { VestingPlanInput } from '../schema/vesting/vesting-plan.input.js';
import { VestingPlanType, toVestingPlanType } from '../schema/vesting/vesting-plan.type.js';
import { createVestingPlan } from '../services/vesting-plans/create-vesting-plan.js';
import { listVestingPlans } from '../services/vesting-plans/list-vesting-plans.js';

@Resolver(() => VestingPlanType)
export class VestingPlanResolver {
  @Query(() => [VestingPlanType])
  async vestingPlans(@Ctx() ctx: GraphQLContext): Promise<VestingPlanType[]> {
    return (await listVestingPlans(ctx)).map(toVestingPlanType);
  }

  @Mutation(() => VestingPlanType, { description: 'A new vesting plan of the site; plans never change once created (a change is a new plan).' })
  async createVestingPlan(@Arg('input') input: VestingPlanInput, @Ctx() ctx: GraphQLContext): Promise<VestingPlanType> {
    return toVestingPlanType(await createVestingPlan(ctx, input));
  }
}
