import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { notifyIn } from '../events/pg-pubsub.js';
import type { EventType } from './event-types.js';

/** Topic of the outbox wake-up (no payload: the delivery loop reads what is due). */
export const OUTBOX_WRITTEN = 'OUTBOX_WRITTEN';

export interface OutboxEvent {
  siteId: string;
  type: EventType;
  data: Record<string, unknown>;
}

/** Stable event id, the `webhook-id` of every delivery and retry of it (Standard Webhooks: msg_…). */
export const newEventId = () => `msg_${randomUUID().replace(/-/g, '')}`;

/**
 * Writes events to the outbox in the caller's transaction, and one PENDING delivery per matching
 * active endpoint of their site: a state change and its notifications commit together or not at all,
 * so no event is lost or invented by a crash (domain.md, Merchant notifications). Two statements for
 * any number of events.
 */
export async function emitEvents(tx: EntityManager, events: readonly OutboxEvent[]): Promise<string[]> {
  if (!events.length) return [];
  const ids = events.map(() => newEventId());
  await tx.execute(
    `insert into notification_event (id, site_id, type, data, created_at) values ${events.map(() => '(?, ?, ?, ?, now())').join(', ')}`,
    events.flatMap((e, i) => [ids[i], e.siteId, e.type, JSON.stringify(e.data)]),
  );
  await tx.execute(
    // all-sites: each event's deliveries go to endpoints of the event's own site (joined on site_id).
    `insert into webhook_delivery (id, site_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
     select gen_random_uuid(), ev.site_id, e.id, ev.id, ev.type, 'PENDING', 0, now(), now(), now()
     from notification_event ev
     join webhook_endpoint e on e.site_id = ev.site_id and e.active and (cardinality(e.events) = 0 or ev.type = any(e.events))
     where ev.id in (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  // Wakes the delivery loop of the workers when this commits, instead of their next 5 s poll.
  await notifyIn(tx, OUTBOX_WRITTEN, null);
  return ids;
}

export function emitEvent(tx: EntityManager, event: OutboxEvent): Promise<string[]> {
  return emitEvents(tx, [event]);
}
