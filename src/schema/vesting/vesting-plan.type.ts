import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { VestingPlan } from '../../entities/vesting-plan.entity.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';

@ObjectType('VestingPlan', { simpleResolvers: true })
export class VestingPlanType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: "Share unlocked at TGE (the allocation's start), in basis points (0-10000)." })
  tgeBps!: number;

  @Field(() => Int, { description: 'Days after start before the first periodic unlock.' })
  cliffDays!: number;

  @Field(() => Int, { description: 'Number of equal periodic unlocks after the cliff (the last one absorbs rounding).' })
  periods!: number;

  @Field(() => Int, { description: 'Length of one period in days.' })
  periodDays!: number;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export function toVestingPlanType(p: VestingPlan): VestingPlanType {
  return { id: p.id, name: p.name, tgeBps: p.tgeBps, cliffDays: p.cliffDays, periods: p.periods, periodDays: p.periodDays, createdAt: p.createdAt };
}
