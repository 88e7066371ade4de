import { Site } from '../../entities/site.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { isUniqueViolation } from '../errors.js';
import type { Scope } from '../scope.js';
import { SiteSlugTakenError } from './errors.js';

/** A new site (tenant); the slug is unique across the platform. Shapes are checked on the input class. */
export async function createSite(scope: Scope, input: { slug: string; name: string }): Promise<Site> {
  const slug = input.slug;
  const name = input.name.trim();
  try {
    return await scope.em.transactional(async (tx) => {
      const site = new Site();
      site.slug = slug;
      site.name = name;
      tx.persist(site);
      recordAudit(tx, scope, { action: 'site.created', targetType: 'Site', targetId: site.id, siteId: site.id, details: { slug, name } });
      return site;
    });
  } catch (e) {
    if (isUniqueViolation(e, 'site_slug_unique')) throw new SiteSlugTakenError(slug);
    throw e;
  }
}
