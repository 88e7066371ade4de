import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/audit-entry.entity.js';
import { Site } from '../../entities/site.entity.js';
import { User } from '../../entities/user.entity.js';
import type { RequestScope } from '../auth/actor.js';
import { sanitizeDetails } from './sanitize-details.js';

export interface AuditEvent {
  action: string;
  targetType: string;
  targetId: string;
  /** Site the change belongs to; defaults to the scope's site. */
  siteId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Queues an audit entry in the caller's unit of work, so it commits (or not) with the change it
 * describes. Call inside the same `em.transactional` as the change.
 */
export function recordAudit(em: EntityManager, scope: Pick<RequestScope, 'actor' | 'siteId' | 'ip'>, event: AuditEvent): AuditEntry {
  const entry = new AuditEntry();
  const siteId = event.siteId === undefined ? scope.siteId : event.siteId;
  entry.site = siteId ? em.getReference(Site, siteId) : null;
  entry.actor = scope.actor ? em.getReference(User, scope.actor.userId) : null;
  entry.action = event.action;
  entry.targetType = event.targetType;
  entry.targetId = event.targetId;
  entry.details = sanitizeDetails(event.details ?? {});
  entry.ip = scope.ip;
  em.persist(entry);
  return entry;
}

/**
 * The same entry written at once with one plain INSERT, for transactions that write with plain
 * statements on the hot path (createOrder): no unit-of-work flush. Its site and actor rows must
 * already exist (recordAudit, flushed at commit, has no such need).
 */
export async function insertAudit(em: EntityManager, scope: Pick<RequestScope, 'actor' | 'siteId' | 'ip'>, event: AuditEvent): Promise<void> {
  const siteId = event.siteId === undefined ? scope.siteId : event.siteId;
  await em.execute(
    `insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [randomUUID(), siteId, scope.actor?.userId ?? null, event.action, event.targetType, event.targetId, JSON.stringify(sanitizeDetails(event.details ?? {})), scope.ip, new Date()],
  );
}
