import { Field, ID, Int, ObjectType } from 'type-graphql';
import { fromBaseUnits } from '../../services/money/amount.js';
import type { OrderView } from '../../services/orders/order-view.js';
import { Network } from '../assets/enums.js';
import { AssetType } from '../assets/asset.type.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';
import { OrderStatus } from './enums.js';

@ObjectType('PaymentOrder', { simpleResolvers: true })
export class PaymentOrderType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Customer-facing reference, unique per site.' })
  reference!: string;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => Network)
  network!: Network;

  @Field(() => AssetType)
  asset!: AssetType;

  @Field({ description: 'Address the customer must pay to.' })
  payToAddress!: string;

  @Field(() => DecimalScalar)
  amountExpected!: string;

  @Field(() => DecimalScalar, { description: 'Sum of the transfers credited to this order, confirmed or not.' })
  amountReceived!: string;

  @Field(() => DecimalScalar, { description: 'Amount received above amountExpected, else 0.' })
  amountOverpaid!: string;

  @Field(() => DecimalScalar, { description: 'Tokens the customer buys with this order (released through vesting).' })
  tokenAmount!: string;

  @Field(() => Int, { description: 'Fewest confirmations among the credited transfers (0 while none).' })
  confirmations!: number;

  @Field(() => Int)
  confirmationsRequired!: number;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  paidAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  /** For the field resolvers (customer, transfers); not in the API. */
  customerId!: string;
}

export const PaymentOrderConnection = connectionType(PaymentOrderType, 'PaymentOrder');

export function toPaymentOrderType(o: OrderView): PaymentOrderType {
  const decimals = o.asset.decimals;
  const expected = BigInt(o.amountExpected);
  const received = BigInt(o.amountReceived);
  return {
    id: o.id,
    reference: o.reference,
    status: o.status,
    network: o.network,
    asset: o.asset,
    payToAddress: o.payToAddress,
    amountExpected: fromBaseUnits(expected, decimals),
    amountReceived: fromBaseUnits(received, decimals),
    amountOverpaid: fromBaseUnits(received > expected ? received - expected : 0n, decimals),
    tokenAmount: fromBaseUnits(o.tokenAmount, o.tokenDecimals),
    confirmations: o.confirmations,
    confirmationsRequired: o.confirmationsRequired,
    expiresAt: o.expiresAt,
    paidAt: o.paidAt,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    customerId: o.customerId,
  };
}
