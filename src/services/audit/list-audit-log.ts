import { Role } from '../../entities/role.js';
import { requireSiteId } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';
import { asDate } from '../../db/plain-reads.js';
import { keysetRows, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';
import type { UserView } from '../users/user-view.js';

export interface AuditLogQuery {
  action?: string | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** An entry as the caller may see it, with its actor read in the same statement. */
export interface AuditView {
  id: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  ip: string | null;
  at: Date;
  actor: UserView | null;
}

interface AuditRow extends Omit<AuditView, 'actor'> {
  actor_id: string | null;
  actor_email: string | null;
  actor_role: Role | null;
  actor_site_id: string | null;
  actor_created_at: Date | string | null;
}

/**
 * Newest first, keyset-paginated, inside the caller's site, with each entry's actor joined in (one
 * statement for the page). A SUPER_ADMIN without a chosen site reads the platform's own entries
 * (bootstrap, SUPER_ADMIN users), which belong to no site. A SUPER_ADMIN's entries show no actor and
 * no ip to anyone else: platform operators are invisible to sites (domain.md).
 */
export async function listAuditLog(scope: Scope, q: AuditLogQuery): Promise<Page<AuditView>> {
  const platform = !scope.siteId && scope.actor?.role === Role.SUPER_ADMIN;
  const where: SqlFragment[] = q.action ? [{ sql: 'e.action = ?', params: [q.action] }] : [];
  const page = await keysetRows<AuditRow>(scope.deps.reads, {
    from: 'audit_entry e left join app_user u on u.id = e.actor_id',
    alias: 'e',
    columns: `e.id, e.action, e.target_type as "targetType", e.target_id as "targetId", e.details, e.ip, e.at,
      u.id as actor_id, u.email as actor_email, u.role as actor_role, u.site_id as actor_site_id, u.created_at as actor_created_at`,
    siteId: platform ? null : requireSiteId(scope),
    timeColumn: 'at',
    where,
    ...q,
  });
  const hidePlatform = scope.actor?.role !== Role.SUPER_ADMIN;
  return {
    ...page,
    items: page.items.map((r) => {
      const hidden = hidePlatform && r.actor_role === Role.SUPER_ADMIN;
      const actor: UserView | null =
        r.actor_id && !hidden ? { id: r.actor_id, email: r.actor_email!, role: r.actor_role!, siteId: r.actor_site_id, createdAt: asDate(r.actor_created_at!) } : null;
      return { id: r.id, action: r.action, targetType: r.targetType, targetId: r.targetId, details: r.details, ip: hidden ? null : r.ip, at: asDate(r.at), actor };
    }),
  };
}
