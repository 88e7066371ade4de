import { Matches, Max, Min, ValidateIf } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { MAX_DECIMALS } from '../../services/money/amount.js';
import { AssetPurpose, Network } from './enums.js';

@InputType()
export class AssetInput {
  @Field(() => Network)
  network!: Network;

  @Field()
  @Matches(/^[A-Za-z0-9._-]{1,16}$/, { message: 'symbol must be 1-16 letters, digits, ".", "_" or "-"' })
  symbol!: string;

  @Field(() => Int)
  @Min(0, { message: `decimals must be an integer from 0 to ${MAX_DECIMALS}` })
  @Max(MAX_DECIMALS, { message: `decimals must be an integer from 0 to ${MAX_DECIMALS}` })
  decimals!: number;

  @Field()
  contractAddress!: string;

  @Field(() => AssetPurpose)
  purpose!: AssetPurpose;

  @Field(() => String, { nullable: true, description: "The custody provider's asset id (Fireblocks), for DISTRIBUTION assets." })
  @ValidateIf((a: AssetInput) => !!a.custodyAssetId)
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'custodyAssetId must be 1-64 letters, digits, ".", "_" or "-"' })
  custodyAssetId?: string | null;

  @Field(() => Int)
  @Min(0, { message: 'confirmationsRequired must be an integer from 0 to 10000' })
  @Max(10000, { message: 'confirmationsRequired must be an integer from 0 to 10000' })
  confirmationsRequired!: number;

  @Field()
  active!: boolean;
}
