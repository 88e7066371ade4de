import { Field, InputType, Int } from 'type-graphql';
import { AssetPurpose, Network } from './enums.js';

@InputType()
export class AssetInput {
  @Field(() => Network)
  network!: Network;

  @Field()
  symbol!: string;

  @Field(() => Int)
  decimals!: number;

  @Field()
  contractAddress!: string;

  @Field(() => AssetPurpose)
  purpose!: AssetPurpose;

  @Field(() => String, { nullable: true })
  custodyAssetId?: string | null;

  @Field(() => Int)
  confirmationsRequired!: number;

  @Field()
  active!: boolean;
}
