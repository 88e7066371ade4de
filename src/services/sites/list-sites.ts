import type { EntityManager } from '@mikro-orm/postgresql';
import { Site } from '../../entities/site.entity.js';

/** Every site, for SUPER_ADMINs (the permission layer checks the role). */
export function listSites(em: EntityManager): Promise<Site[]> {
  return em.find(Site, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

