import { Site } from '../../entities/site.entity.js';
import type { Scope } from '../scope.js';

/** Every site, for SUPER_ADMINs (the permission layer checks the role). */
export function listSites(scope: Scope): Promise<Site[]> {
  return scope.em.find(Site, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

