import { IsOptional, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';
import { MAX_GENERATE } from '../../services/wallets/generate-wallets.js';
import { Network } from '../assets/enums.js';

@ArgsType()
export class GenerateWalletsArgs {
  @Field(() => Network)
  network!: Network;

  @Field(() => Int)
  @Min(1, { message: `count must be between 1 and ${MAX_GENERATE}` })
  @Max(MAX_GENERATE, { message: `count must be between 1 and ${MAX_GENERATE}` })
  count!: number;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(60, { message: 'labelPrefix must be at most 60 characters' })
  labelPrefix?: string | null;
}
