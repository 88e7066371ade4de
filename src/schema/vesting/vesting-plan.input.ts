import { Length, Matches, Max, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';

@InputType()
export class VestingPlanInput {
  @Field()
  @Length(1, 100, { message: 'name must be 1-100 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => Int)
  @Min(0, { message: 'tgeBps must be 0-10000 (basis points)' })
  @Max(10000, { message: 'tgeBps must be 0-10000 (basis points)' })
  tgeBps!: number;

  // Ten years: longer is a typo, not a plan.
  @Field(() => Int)
  @Min(0, { message: 'cliffDays must be 0-3660' })
  @Max(3660, { message: 'cliffDays must be 0-3660' })
  cliffDays!: number;

  @Field(() => Int)
  @Min(1, { message: 'periods must be 1-600' })
  @Max(600, { message: 'periods must be 1-600' })
  periods!: number;

  @Field(() => Int)
  @Min(1, { message: 'periodDays must be 1-3660' })
  @Max(3660, { message: 'periodDays must be 1-3660' })
  periodDays!: number;
}
