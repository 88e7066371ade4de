import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';

@ObjectType('JobStat', { simpleResolvers: true })
export class JobStatType {
  @Field()
  name!: string;

  @Field(() => Int)
  scheduled!: number;

  @Field(() => Int)
  running!: number;

  @Field(() => Int, { description: 'Failed runs. A platform-wide figure: shown to SUPER_ADMINs only, 0 for site staff.' })
  failed!: number;

  @Field(() => Int)
  completed!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  lastRunAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the last failed run failed (counts only; details are in the worker log). SUPER_ADMINs only.' })
  lastFailureReason!: string | null;
}
