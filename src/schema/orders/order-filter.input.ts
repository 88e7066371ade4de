import { Field, ID, InputType } from 'type-graphql';
import { Network } from '../assets/enums.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { OrderStatus } from './enums.js';

@InputType()
export class OrderFilter {
  @Field(() => [OrderStatus], { nullable: true })
  status?: OrderStatus[] | null;

  @Field(() => Network, { nullable: true })
  network?: Network | null;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  createdAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  createdBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'Matches reference or payToAddress exactly.' })
  search?: string | null;
}
