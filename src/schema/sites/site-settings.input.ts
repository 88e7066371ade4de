import { IsOptional, Max, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';

/** Only the fields sent change; `null` clears a price, a limit or the TGE date. */
@InputType()
export class SiteSettingsInput {
  @Field(() => DecimalScalar, { nullable: true, description: 'Price of one distribution token in payment units, above 0 (at most 18 decimals).' })
  tokenPrice?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Smallest order amount in payment units, above 0; null for no limit.' })
  minOrderAmount?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Largest order amount in payment units, at least minOrderAmount; null for no limit.' })
  maxOrderAmount?: string | null;

  @Field(() => Int, { nullable: true, description: 'Minutes an order waits for payment: 1-1440.' })
  @IsOptional()
  @Min(1, { message: 'orderTtlMinutes must be 1-1440' })
  @Max(1440, { message: 'orderTtlMinutes must be 1-1440' })
  orderTtlMinutes?: number | null;

  @Field(() => Int, { nullable: true, description: 'Minutes a deposit wallet rests after its order: 0-10080.' })
  @IsOptional()
  @Min(0, { message: 'walletCooldownMinutes must be 0-10080' })
  @Max(10080, { message: 'walletCooldownMinutes must be 0-10080' })
  walletCooldownMinutes?: number | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Token generation event: vesting of every new allocation starts here.' })
  tgeAt?: Date | null;
}
