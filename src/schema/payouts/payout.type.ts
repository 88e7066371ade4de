import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { VestingReleaseType } from '../vesting/release.type.js';

export enum PayoutMode {
  MOCK = 'MOCK',
  LIVE = 'LIVE',
}
registerEnumType(PayoutMode, {
  name: 'PayoutMode',
  valuesConfig: { MOCK: { description: 'An in-process custody simulator: no real transaction.' }, LIVE: { description: 'Fireblocks, real transactions.' } },
});

@ObjectType('SkippedRelease', { simpleResolvers: true })
export class SkippedReleaseType {
  @Field(() => ID)
  releaseId!: string;

  @Field()
  reason!: string;
}

@ObjectType('PayoutBatchResult', { simpleResolvers: true })
export class PayoutBatchResultType {
  @Field(() => [VestingReleaseType], { description: 'Releases moved to PROCESSING and submitted to custody by this call.' })
  submitted!: VestingReleaseType[];

  @Field(() => [SkippedReleaseType], { description: 'Releases not submitted, each with the reason.' })
  skipped!: SkippedReleaseType[];

  @Field(() => PayoutMode)
  mode!: PayoutMode;
}
