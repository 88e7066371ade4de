import { Field, ID, ObjectType } from 'type-graphql';
import type { Site } from '../../entities/site.entity.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { SiteSettings } from './site-settings.type.js';

@ObjectType('Site')
export class SiteType {
  @Field(() => ID)
  id!: string;

  @Field()
  slug!: string;

  @Field()
  name!: string;

  @Field(() => SiteSettings)
  settings!: SiteSettings;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

/** Stored decimals come back from PostgreSQL with trailing zeros (numeric scale); the API shows them trimmed. */
function trimDecimal(v: string | null): string | null {
  if (v === null) return null;
  return v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v;
}

export function toSiteType(site: Site): SiteType {
  return {
    id: site.id,
    slug: site.slug,
    name: site.name,
    createdAt: site.createdAt,
    settings: {
      tokenPrice: trimDecimal(site.tokenPrice),
      minOrderAmount: trimDecimal(site.minOrderAmount),
      maxOrderAmount: trimDecimal(site.maxOrderAmount),
      orderTtlMinutes: site.orderTtlMinutes,
      walletCooldownMinutes: site.walletCooldownMinutes,
      tgeAt: site.tgeAt,
    },
  };
}
