import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';

@ObjectType('JobStat')
export class JobStatType {
  @Field()
  name!: string;

  @Field(() => Int)
  scheduled!: number;

  @Field(() => Int)
  running!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  completed!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  lastRunAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastFailureReason!: string | null;
}
