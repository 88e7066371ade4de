import { Filter } from '@mikro-orm/decorators/legacy';

export const SITE_FILTER = 'site';

/** Matches no row: used when the caller has no site, so a missing scope can never mean "every site". */
export const NO_SITE_ID = '00000000-0000-0000-0000-000000000000';

export interface SiteFilterParams {
  siteId: string | null;
}

/**
 * Every site-owned entity carries this filter, on by default. A query that runs without
 * `em.setFilterParams('site', …)` fails instead of reading across sites; code that must see every
 * site (login, the SUPER_ADMIN `sites` list) turns it off by name, explicitly.
 */
export function SiteScoped(): ClassDecorator {
  return Filter({
    name: SITE_FILTER,
    default: true,
    // The decorator cannot know the entity type; every entity that uses it has a `site` relation.
    cond: (args: Partial<SiteFilterParams>) => ({ site: args.siteId ?? NO_SITE_ID }) as never,
  }) as ClassDecorator;
}
