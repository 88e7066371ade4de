import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/audit-entry.entity.js';
import { requireSiteId, type RequestScope } from '../auth/actor.js';
import { keysetPage, type Page } from '../pagination.js';

export interface AuditLogQuery {
  action?: string | null;
  first: number;
  after?: string | null;
}

/** Newest first, keyset-paginated, always inside the caller's site. */
export async function listAuditLog(em: EntityManager, scope: RequestScope, q: AuditLogQuery): Promise<Page<AuditEntry>> {
  const base: FilterQuery<AuditEntry> = { site: requireSiteId(scope), ...(q.action ? { action: q.action } : {}) };
  return keysetPage(em, AuditEntry, base, 'at', q);
}
