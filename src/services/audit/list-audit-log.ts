import { AuditEntry } from '../../entities/audit-entry.entity.js';
import { Role } from '../../entities/role.js';
import { User } from '../../entities/user.entity.js';
import { requireSiteId } from '../auth/actor.js';
import { keysetPage, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';

export interface AuditLogQuery {
  action?: string | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** An entry as the caller may see it: its actor loaded with the page, not per row. */
export interface AuditView {
  entry: AuditEntry;
  actor: User | null;
  ip: string | null;
}

/**
 * Newest first, keyset-paginated, inside the caller's site. A SUPER_ADMIN without a chosen site reads
 * the platform's own entries (bootstrap, SUPER_ADMIN users), which belong to no site. The page's
 * actors come in one query; a SUPER_ADMIN's entries show no actor and no ip to anyone else.
 */
export async function listAuditLog(scope: Scope, q: AuditLogQuery): Promise<Page<AuditView>> {
  const { em } = scope;
  const action = q.action ? { action: q.action } : {};
  const page =
    !scope.siteId && scope.actor?.role === Role.SUPER_ADMIN
      ? // The site filter matches rows of one site; platform rows have none, so it is off by name here.
        await keysetPage(em, AuditEntry, { site: null, ...action }, 'at', q, { filters: false })
      : await keysetPage(em, AuditEntry, { site: requireSiteId(scope), ...action }, 'at', q);
  const actorIds = [...new Set(page.items.flatMap((e) => (e.actor ? [e.actor.id] : [])))];
  // Actors may be SUPER_ADMINs, who belong to no site: the filter is off for these ids only.
  const actors = actorIds.length ? await em.find(User, { id: { $in: actorIds } }, { filters: false }) : [];
  const byId = new Map(actors.map((u) => [u.id, u]));
  // Platform operators are invisible to sites (domain.md): their entries show no actor and no address.
  const hidePlatform = scope.actor?.role !== Role.SUPER_ADMIN;
  return {
    ...page,
    items: page.items.map((entry) => {
      const actor = entry.actor ? (byId.get(entry.actor.id) ?? null) : null;
      const hidden = hidePlatform && actor?.role === Role.SUPER_ADMIN;
      return { entry, actor: hidden ? null : actor, ip: hidden ? null : entry.ip };
    }),
  };
}
