import { Field, ID, Int, ObjectType } from 'type-graphql';
import { fromBaseUnits } from '../../services/money/amount.js';
import type { TransferView } from '../../services/orders/order-transfers.js';
import { Network } from '../assets/enums.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';

@ObjectType('ChainTransfer', { simpleResolvers: true })
export class ChainTransferType {
  @Field(() => ID)
  id!: string;

  @Field(() => Network)
  network!: Network;

  @Field()
  txHash!: string;

  @Field(() => Int)
  logIndex!: number;

  @Field()
  fromAddress!: string;

  @Field()
  toAddress!: string;

  @Field(() => DecimalScalar)
  amount!: string;

  @Field(() => Int)
  blockNumber!: number;

  @Field(() => Int)
  confirmations!: number;

  @Field(() => DateTimeScalar)
  seenAt!: Date;
}

export function toChainTransferType(t: TransferView): ChainTransferType {
  return {
    id: t.id,
    network: t.network,
    txHash: t.txHash,
    logIndex: t.logIndex,
    fromAddress: t.fromAddress,
    toAddress: t.toAddress,
    amount: fromBaseUnits(t.amount, t.decimals),
    blockNumber: t.blockNumber,
    confirmations: t.confirmations,
    seenAt: t.seenAt,
  };
}
