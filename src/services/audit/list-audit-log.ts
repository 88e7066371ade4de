import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/audit-entry.entity.js';
import { Role } from '../../entities/role.js';
import { requireSiteId, type RequestScope } from '../auth/actor.js';
import { keysetPage, type Page } from '../pagination.js';

export interface AuditLogQuery {
  action?: string | null;
  first: number;
  after?: string | null;
}

/**
 * Newest first, keyset-paginated, inside the caller's site. A SUPER_ADMIN without a chosen site reads
 * the platform's own entries (bootstrap, SUPER_ADMIN users), which belong to no site.
 */
export async function listAuditLog(em: EntityManager, scope: RequestScope, q: AuditLogQuery): Promise<Page<AuditEntry>> {
  const action = q.action ? { action: q.action } : {};
  if (!scope.siteId && scope.actor?.role === Role.SUPER_ADMIN) {
    // The site filter matches rows of one site; platform rows have none, so it is off by name here.
    return keysetPage(em, AuditEntry, { site: null, ...action }, 'at', q, { filters: false });
  }
  return keysetPage(em, AuditEntry, { site: requireSiteId(scope), ...action }, 'at', q);
}
