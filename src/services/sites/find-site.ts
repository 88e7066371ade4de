import type { EntityManager } from '@mikro-orm/postgresql';
import { Site } from '../../entities/site.entity.js';

/** A site by id, or null. Sites are the tenants themselves, so there is no site filter to apply. */
export function findSite(em: EntityManager, id: string): Promise<Site | null> {
  return em.findOne(Site, { id });
}
