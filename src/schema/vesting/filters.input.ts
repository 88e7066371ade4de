import { Field, ID, InputType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { AllocationStatus, ReleaseStatus } from './enums.js';

@InputType()
export class AllocationFilter {
  @Field(() => [AllocationStatus], { nullable: true })
  status?: AllocationStatus[] | null;

  @Field(() => ID, { nullable: true })
  beneficiaryId?: string | null;
}

@InputType()
export class ReleaseFilter {
  @Field(() => [ReleaseStatus], { nullable: true })
  status?: ReleaseStatus[] | null;

  @Field(() => ID, { nullable: true })
  allocationId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  unlockBefore?: Date | null;
}
