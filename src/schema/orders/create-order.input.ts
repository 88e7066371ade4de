import { Field, ID, InputType } from 'type-graphql';
import { Network } from '../assets/enums.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';

@InputType()
export class CreateOrderInput {
  @Field(() => Network)
  network!: Network;

  @Field(() => DecimalScalar, { description: "Payment amount in the payment asset; tokens bought = floor(amount / site tokenPrice) in the distribution asset's decimals." })
  amount!: string;

  @Field({ description: "Where the vested tokens are paid out; validated for the distribution asset's network." })
  payoutAddress!: string;

  @Field(() => ID)
  planId!: string;
}
