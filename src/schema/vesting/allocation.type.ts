import { Field, ID, ObjectType } from 'type-graphql';
import { fromBaseUnits } from '../../services/money/amount.js';
import type { AllocationView } from '../../services/vesting/allocation-view.js';
import { AssetType } from '../assets/asset.type.js';
import { Network } from '../assets/enums.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';
import { AllocationStatus } from './enums.js';
import { VestingPlanType } from './vesting-plan.type.js';

@ObjectType('Allocation', { simpleResolvers: true })
export class AllocationType {
  @Field(() => ID)
  id!: string;

  @Field(() => AllocationStatus)
  status!: AllocationStatus;

  @Field(() => Network, { description: 'Chain and address that receives released tokens.' })
  payoutNetwork!: Network;

  @Field()
  payoutAddress!: string;

  @Field(() => AssetType)
  asset!: AssetType;

  @Field(() => DecimalScalar)
  totalAmount!: string;

  @Field(() => DecimalScalar)
  releasedAmount!: string;

  @Field(() => DecimalScalar, { description: 'Sum of UNLOCKED + PROCESSING releases.' })
  claimableAmount!: string;

  @Field(() => DecimalScalar)
  lockedAmount!: string;

  @Field(() => VestingPlanType)
  plan!: VestingPlanType;

  @Field(() => DateTimeScalar)
  startAt!: Date;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  /** For the field resolvers (beneficiary, order, releases); not in the API. */
  beneficiaryId!: string;
  orderId!: string | null;
}

export const AllocationConnection = connectionType(AllocationType, 'Allocation');

export function toAllocationType(a: AllocationView): AllocationType {
  const d = a.asset.decimals;
  return {
    id: a.id,
    status: a.status,
    payoutNetwork: a.payoutNetwork,
    payoutAddress: a.payoutAddress,
    asset: a.asset,
    totalAmount: fromBaseUnits(a.totalAmount, d),
    releasedAmount: fromBaseUnits(a.releasedAmount, d),
    claimableAmount: fromBaseUnits(a.claimableAmount, d),
    lockedAmount: fromBaseUnits(a.lockedAmount, d),
    plan: a.plan,
    startAt: a.startAt,
    createdAt: a.createdAt,
    beneficiaryId: a.beneficiaryId,
    orderId: a.orderId,
  };
}
