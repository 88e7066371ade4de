import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/audit-entry.entity.js';
import type { RequestScope } from '../auth/actor.js';
import { ForbiddenError } from '../errors.js';
import { checkPageSize, decodeCursor, encodeCursor, type Page } from '../pagination.js';

export interface AuditLogQuery {
  action?: string | null;
  first: number;
  after?: string | null;
}

/** Newest first, keyset-paginated, always inside the caller's site. */
export async function listAuditLog(em: EntityManager, scope: RequestScope, q: AuditLogQuery): Promise<Page<AuditEntry>> {
  if (!scope.siteId) throw new ForbiddenError('Choose a site (x-site-id) to read its audit log');
  const first = checkPageSize(q.first);
  const base: FilterQuery<AuditEntry> = { site: scope.siteId, ...(q.action ? { action: q.action } : {}) };
  const cursor = q.after ? decodeCursor(q.after) : null;
  const where: FilterQuery<AuditEntry> = cursor
    ? { $and: [base, { $or: [{ at: { $lt: cursor.at } }, { at: cursor.at, id: { $lt: cursor.id } }] }] }
    : base;
  const [rows, totalCount] = await Promise.all([
    em.find(AuditEntry, where, { orderBy: { at: 'desc', id: 'desc' }, limit: first + 1 }),
    em.count(AuditEntry, base),
  ]);
  const items = rows.slice(0, first);
  const last = items.at(-1);
  return { items, hasNextPage: rows.length > first, endCursor: last ? encodeCursor({ at: last.at, id: last.id }) : null, totalCount };
}
