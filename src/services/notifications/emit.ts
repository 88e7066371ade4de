import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { envelope, EVENT_CHANNEL } from '../events/pg-pubsub.js';
import { EMAIL_EVENTS } from './email/templates.js';
import type { EventType } from './event-types.js';

/** Topic of the outbox wake-up (no payload: the delivery loop reads what is due). */
export const OUTBOX_WRITTEN = 'OUTBOX_WRITTEN';

export interface OutboxEvent {
  siteId: string;
  type: EventType;
  /** The object as the API shows it; its `id` names the order or release the event is about. */
  data: Record<string, unknown>;
}

/** Stable event id, the `webhook-id` of every delivery and retry of it (Standard Webhooks: msg_…). */
export const newEventId = () => `msg_${randomUUID().replace(/-/g, '')}`;

const isEmailEvent = (type: string) => (EMAIL_EVENTS as readonly string[]).includes(type);

/** The e-mails of the events (`ev`), to the order's customer or the release's beneficiary; only in a statement that has an e-mail event. */
const MAILS = `, mails as (
       insert into email_delivery (id, site_id, event_id, event_type, recipient, status, attempts, next_attempt_at, created_at, updated_at)
       select gen_random_uuid(), ev.site_id, ev.id, ev.type, u.email, 'PENDING', 0, now(), now(), now()
       from ev
       left join payment_order o on ev.type like 'order.%' and o.id = (ev.data->>'id')::uuid and o.site_id = ev.site_id
       left join vesting_release r on ev.type like 'release.%' and r.id = (ev.data->>'id')::uuid and r.site_id = ev.site_id
       left join allocation al on al.id = r.allocation_id and al.site_id = ev.site_id
       join app_user u on u.id = coalesce(o.customer_id, al.beneficiary_id) and u.site_id = ev.site_id
       where ev.type in (${EMAIL_EVENTS.map((t) => `'${t}'`).join(', ')})
     )`;

/**
 * Writes events to the outbox in the caller's transaction, in one statement:
 * - the events;
 * - one PENDING webhook delivery per matching active endpoint of their site;
 * - for order.paid/expired/underpaid and release.released, one PENDING e-mail to the order's customer
 *   (the allocation's beneficiary for a release), at the address the customer has now;
 * - when there is a webhook to send, a NOTIFY that wakes the workers' delivery loop when this
 *   commits, instead of their next poll (e-mails wait for their job: nobody needs them in a second).
 * A state change and its notifications commit together or not at all, so no event is lost or
 * invented by a crash (domain.md, Merchant notifications).
 */
export async function emitEvents(tx: EntityManager, events: readonly OutboxEvent[]): Promise<string[]> {
  if (!events.length) return [];
  const ids = events.map(() => newEventId());
  await tx.execute(
    `with ev as (
       insert into notification_event (id, site_id, type, data, created_at) values ${events.map(() => '(?, ?, ?, ?, now())').join(', ')}
       returning id, site_id, type, data
     ), hooks as (
       -- all-sites: each event's deliveries go to endpoints of the event's own site (joined on site_id).
       insert into webhook_delivery (id, site_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
       select gen_random_uuid(), ev.site_id, e.id, ev.id, ev.type, 'PENDING', 0, now(), now(), now()
       from ev join webhook_endpoint e on e.site_id = ev.site_id and e.active and (cardinality(e.events) = 0 or ev.type = any(e.events))
       returning 1
     )${events.some((e) => isEmailEvent(e.type)) ? MAILS : ''}
     select pg_notify(?, ?) where exists (select 1 from hooks)`,
    [...events.flatMap((e, i) => [ids[i], e.siteId, e.type, JSON.stringify(e.data)]), EVENT_CHANNEL, envelope(OUTBOX_WRITTEN, null)],
  );
  return ids;
}

export function emitEvent(tx: EntityManager, event: OutboxEvent): Promise<string[]> {
  return emitEvents(tx, [event]);
}
