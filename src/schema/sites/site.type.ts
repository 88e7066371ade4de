import { Field, ID, ObjectType } from 'type-graphql';
import type { SiteView } from '../../services/sites/list-sites.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { SiteSettings, toSiteSettings } from './site-settings.type.js';

@ObjectType('Site', { simpleResolvers: true })
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

export function toSiteType(site: SiteView): SiteType {
  return {
    id: site.id,
    slug: site.slug,
    name: site.name,
    createdAt: site.createdAt,
    settings: toSiteSettings(site),
  };
}
