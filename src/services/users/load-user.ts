import DataLoader from 'dataloader';
import { asDate } from '../../db/plain-reads.js';
import type { Role } from '../../entities/role.js';
import { requireSiteId } from '../auth/actor.js';
import type { Scope } from '../scope.js';
import type { UserView } from './user-view.js';

const loaders = new WeakMap<Scope, DataLoader<string, UserView | null>>();

/** A user of the caller's site by id, batched per request (e.g. the customers of a page of orders). */
export function loadSiteUser(scope: Scope, id: string): Promise<UserView | null> {
  let loader = loaders.get(scope);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const rows = await scope.deps.reads.rows<Omit<UserView, 'createdAt'> & { createdAt: Date | string }>(
        `select id, email, role, site_id as "siteId", created_at as "createdAt" from app_user where site_id = ? and id = any(?::uuid[])`,
        [requireSiteId(scope), [...ids]],
      );
      const byId = new Map(rows.map((u) => [u.id, { ...u, role: u.role as Role, createdAt: asDate(u.createdAt) }]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    loaders.set(scope, loader);
  }
  return loader.load(id);
}
