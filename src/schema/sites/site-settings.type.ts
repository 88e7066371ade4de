import { Field, Int, ObjectType } from 'type-graphql';
import type { SiteView } from '../../services/sites/list-sites.js';
import { formatDecimalColumn, formatPrice, priceFromColumn } from '../../services/money/price.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';

@ObjectType({ simpleResolvers: true, description: 'Sale settings of one site. Orders can only be created once tokenPrice is set.' })
export class SiteSettings {
  @Field(() => DecimalScalar, { nullable: true, description: 'Price of one distribution token in units of the payment asset, e.g. "0.05" USDT.' })
  tokenPrice!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Smallest and largest order amount in payment units; null means no limit.' })
  minOrderAmount!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  maxOrderAmount!: string | null;

  @Field(() => Int, { description: 'Minutes an order waits for payment before it expires (default 30).' })
  orderTtlMinutes!: number;

  @Field(() => Int, { description: 'Minutes a deposit wallet rests after its order ended before it is reused (default 60).' })
  walletCooldownMinutes!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Token generation event: when set, vesting of every allocation starts here instead of at payment time.' })
  tgeAt!: Date | null;
}

/** site.min_order_amount / max_order_amount are NUMERIC(38,18), in payment whole units. */
const ORDER_AMOUNT_SCALE = 18;

/** The stored NUMERIC(38,18) columns come back with trailing zeros; the API shows them exact and trimmed. */
export function toSiteSettings(site: SiteView): SiteSettings {
  const amount = (v: string | null) => (v === null ? null : formatDecimalColumn(v, ORDER_AMOUNT_SCALE));
  return {
    tokenPrice: site.tokenPrice === null ? null : formatPrice(priceFromColumn(site.tokenPrice)),
    minOrderAmount: amount(site.minOrderAmount),
    maxOrderAmount: amount(site.maxOrderAmount),
    orderTtlMinutes: site.orderTtlMinutes,
    walletCooldownMinutes: site.walletCooldownMinutes,
    tgeAt: site.tgeAt,
  };
}
