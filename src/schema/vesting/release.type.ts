import { Field, ID, Int, ObjectType } from 'type-graphql';
import { fromBaseUnits } from '../../services/money/amount.js';
import type { ReleaseView } from '../../services/vesting/allocation-view.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';
import { ReleaseStatus } from './enums.js';

@ObjectType('VestingRelease', { simpleResolvers: true })
export class VestingReleaseType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: "0-based position in the allocation's schedule." })
  index!: number;

  @Field(() => DecimalScalar)
  amount!: string;

  @Field(() => DateTimeScalar)
  unlockAt!: Date;

  @Field(() => ReleaseStatus)
  status!: ReleaseStatus;

  @Field({ description: 'Idempotency key sent to the custody provider (stable across retries).' })
  externalTxId!: string;

  @Field(() => String, { nullable: true })
  custodyTxId!: string | null;

  @Field(() => String, { nullable: true })
  txHash!: string | null;

  @Field(() => String, { nullable: true })
  failureReason!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  releasedAt!: Date | null;

  /** For the allocation field resolver; not in the API. */
  allocationId!: string;
}

export const VestingReleaseConnection = connectionType(VestingReleaseType, 'VestingRelease');

export function toReleaseType(r: ReleaseView): VestingReleaseType {
  return {
    id: r.id,
    index: r.index,
    amount: fromBaseUnits(r.amount, r.decimals),
    unlockAt: r.unlockAt,
    status: r.status as unknown as ReleaseStatus,
    externalTxId: r.externalTxId,
    custodyTxId: r.custodyTxId,
    txHash: r.txHash,
    failureReason: r.failureReason,
    releasedAt: r.releasedAt,
    allocationId: r.allocationId,
  };
}
