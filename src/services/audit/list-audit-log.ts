import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/audit-entry.entity.js';
import type { RequestScope } from '../auth/actor.js';
import { ForbiddenError } from '../errors.js';
import { keysetPage, type Page } from '../pagination.js';

export interface AuditLogQuery {
  action?: string | null;
  first: number;
  after?: string | null;
}

/** Newest first, keyset-paginated, always inside the caller's site. */
export async function listAuditLog(em: EntityManager, scope: RequestScope, q: AuditLogQuery): Promise<Page<AuditEntry>> {
  if (!scope.siteId) throw new ForbiddenError('Choose a site (x-site-id) to read its audit log');
  const base: FilterQuery<AuditEntry> = { site: scope.siteId, ...(q.action ? { action: q.action } : {}) };
  return keysetPage(em, AuditEntry, base, 'at', q);
}
