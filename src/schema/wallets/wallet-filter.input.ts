import { Field, InputType } from 'type-graphql';
import { Network } from '../assets/enums.js';
import { WalletStatus } from './enums.js';

@InputType()
export class WalletFilter {
  @Field(() => Network, { nullable: true })
  network?: Network | null;

  @Field(() => [WalletStatus], { nullable: true })
  status?: WalletStatus[] | null;
}
