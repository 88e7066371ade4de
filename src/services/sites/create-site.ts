import type { EntityManager } from '@mikro-orm/postgresql';
import { Site } from '../../entities/site.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import type { RequestScope } from '../auth/actor.js';
import { InvalidInputError, isUniqueViolation } from '../errors.js';
import { SiteSlugTakenError } from './errors.js';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export async function createSite(em: EntityManager, scope: RequestScope, input: { slug: string; name: string }): Promise<Site> {
  const slug = input.slug.trim();
  const name = input.name.trim();
  if (!SLUG_PATTERN.test(slug)) {
    throw new InvalidInputError('slug must be 1-63 lower-case letters, digits or inner hyphens', { field: 'slug' });
  }
  if (name.length < 1 || name.length > 200) throw new InvalidInputError('name must be 1-200 characters', { field: 'name' });
  try {
    return await em.transactional(async (tx) => {
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
