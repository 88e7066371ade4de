import { asDate, asDateOrNull } from '../../db/plain-reads.js';
import type { WebhookDeliveryStatus } from '../../entities/enums.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { idIs, keysetRows, oneOf, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';
import { endpointView, type EndpointView } from './endpoints.js';

export interface DeliveryView {
  id: string;
  endpoint: EndpointView;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

const FROM = 'webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id';
const COLUMNS = `d.id, d.event_id, d.event_type, d.status, d.attempts, d.last_status_code, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at,
  e.id as endpoint_id, e.url as endpoint_url, e.events as endpoint_events, e.active as endpoint_active, e.created_at as endpoint_created_at`;

interface Row {
  id: string;
  event_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | string | null;
  delivered_at: Date | string | null;
  created_at: Date | string;
  endpoint_id: string;
  endpoint_url: string;
  endpoint_events: string[];
  endpoint_active: boolean;
  endpoint_created_at: Date | string;
}

function view(r: Row): DeliveryView {
  return {
    id: r.id,
    endpoint: endpointView({ id: r.endpoint_id, url: r.endpoint_url, events: r.endpoint_events, active: r.endpoint_active, created_at: r.endpoint_created_at }),
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    nextAttemptAt: asDateOrNull(r.next_attempt_at),
    deliveredAt: asDateOrNull(r.delivered_at),
    createdAt: asDate(r.created_at),
  };
}

/** The site's deliveries, newest first, by endpoint and status. */
export async function listDeliveries(scope: Scope, q: { endpointId?: string | null; status?: WebhookDeliveryStatus[] | null; first: number; after?: string | null; withTotal?: boolean }): Promise<Page<DeliveryView>> {
  const where: SqlFragment[] = [];
  if (q.endpointId) where.push(idIs('d.endpoint_id', q.endpointId));
  if (q.status?.length) where.push(oneOf('d.status', q.status));
  const page = await keysetRows<Row>(scope.deps.reads, { from: FROM, alias: 'd', columns: COLUMNS, siteId: requireSiteId(scope), timeColumn: 'created_at', where, first: q.first, after: q.after, withTotal: q.withTotal });
  return { ...page, items: page.items.map(view) };
}

/** Sends a delivery again now, with the same event id (webhook-id), whatever its status; audited. */
export async function redeliverWebhook(scope: Scope, input: { id: string }): Promise<DeliveryView> {
  const siteId = requireSiteId(scope);
  if (!isUuid(input.id)) throw new NotFoundError('Webhook delivery');
  const found = await scope.em.transactional(async (tx) => {
    const rows = await tx.execute<{ id: string }[]>(
      `update webhook_delivery set status = 'PENDING', next_attempt_at = now(), claimed_until = null, updated_at = now() where id = ? and site_id = ? returning id`,
      [input.id, siteId],
    );
    if (rows.length) recordAudit(tx, scope, { action: 'webhook.redelivered', targetType: 'WebhookDelivery', targetId: input.id });
    return rows.length > 0;
  });
  if (!found) throw new NotFoundError('Webhook delivery');
  const [row] = await scope.deps.reads.rows<Row>(`select ${COLUMNS} from ${FROM} where d.id = ? and d.site_id = ?`, [input.id, siteId]);
  return view(row!);
}
