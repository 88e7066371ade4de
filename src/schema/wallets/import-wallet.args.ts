import { IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { Network } from '../assets/enums.js';

@ArgsType()
export class ImportWalletArgs {
  @Field(() => Network)
  network!: Network;

  // Checked (and never echoed) by the service: a shape message here could quote the key.
  @Field()
  privateKey!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100, { message: 'label must be at most 100 characters' })
  label?: string | null;
}
