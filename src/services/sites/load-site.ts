import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Site } from '../../entities/site.entity.js';
import type { Scope } from '../scope.js';

// One loader per request: the request's EntityManager fork lives exactly as long as the request.
const loaders = new WeakMap<EntityManager, DataLoader<string, Site | null>>();

/**
 * A site by id, batched with every other site asked for in the same tick of this request, so a list of
 * users (or audit actors) with their site costs one query, not one per row.
 */
export function loadSite(scope: Scope, id: string): Promise<Site | null> {
  let loader = loaders.get(scope.em);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const sites = await scope.em.find(Site, { id: { $in: [...ids] } });
      const byId = new Map(sites.map((s) => [s.id, s]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    loaders.set(scope.em, loader);
  }
  return loader.load(id);
}
