import { asDate } from '../../db/plain-reads.js';
import type { Role } from '../../entities/role.js';
import { requireSiteId } from '../auth/actor.js';
import { perRequestLoader } from '../per-request-loader.js';
import type { UserView } from './user-view.js';

/** A user of the caller's site by id, batched per request (e.g. the customers of a page of orders). */
export const loadSiteUser = perRequestLoader(async (scope, ids: readonly string[]): Promise<(UserView | null)[]> => {
  const rows = await scope.deps.reads.rows<Omit<UserView, 'createdAt'> & { createdAt: Date | string }>(
    `select id, email, role, site_id as "siteId", created_at as "createdAt" from app_user where site_id = ? and id = any(?::uuid[])`,
    [requireSiteId(scope), [...ids]],
  );
  const byId = new Map(rows.map((u) => [u.id, { ...u, role: u.role as Role, createdAt: asDate(u.createdAt) }]));
  return ids.map((id) => byId.get(id) ?? null);
});
