import { Webhook } from 'standardwebhooks';
import type { Deps } from '../../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { forEachConcurrently } from '../concurrency.js';
import { signingSecrets, targetPolicy } from './endpoints.js';
import { postToTarget } from './safe-delivery.js';

/**
 * Waits before each retry after a failed attempt (domain.md, Delivery): about 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 14 h; the attempt after the last wait that fails too ends the delivery FAILED.
 */
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000];
/** A claimed delivery is another worker's again after this (its worker died mid-attempt). */
const CLAIM_MS = 60_000;
const BATCH = 50;
/** Attempts in flight: 8 left a burst of 275 deliveries a second queueing (docs/performance.md, Merchant webhooks). */
const CONCURRENCY = 16;

/**
 * How long to wait after failed attempt number `attempts` (1-based), with ±10 % jitter so a receiver
 * that comes back is not hit by every retry in the same second; undefined when that was the last.
 */
export function retryDelayMs(attempts: number): number | undefined {
  const wait = RETRY_DELAYS_MS[attempts - 1];
  return wait === undefined ? undefined : Math.round(wait * (0.9 + Math.random() * 0.2));
}

interface Due {
  id: string;
  site_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempts: number;
  url: string;
  data: Record<string, unknown>;
  event_created_at: Date | string;
  sealed_secret: Buffer;
  key_version: number;
  previous_sealed_secret: Buffer | null;
  previous_key_version: number | null;
  previous_expires_at: Date | string | null;
}

export interface DeliveryRun {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * One run of the delivery job: claims due deliveries (SKIP LOCKED and a claim time, so one worker at a
 * time attempts each, and a worker that dies mid-attempt releases it when the claim runs out: the
 * delivery is sent again with the same webhook-id, never lost), posts each one signed in the Standard
 * Webhooks format (both secrets during a rotation) through the SSRF guard, and records the outcome.
 */
export async function deliverDueWebhooks(deps: Pick<Deps, 'orm' | 'config' | 'keyring' | 'clock' | 'metrics' | 'logger'>, deadline: Date): Promise<DeliveryRun> {
  const run: DeliveryRun = { attempted: 0, delivered: 0, retrying: 0, failed: 0 };
  const em = deps.orm.em.fork();
  // The deadline is the job lock's, in real time (the clock is what due dates are compared with).
  while (Date.now() < deadline.getTime()) {
    const now = deps.clock.now();
    const due = await em.execute<Due[]>(
      // all-sites: the delivery job serves every site; each outcome below is written by delivery id.
      `with claimed as (
         update webhook_delivery d set claimed_until = ?, updated_at = now()
         where d.id in (
           select id from webhook_delivery
           where status = 'PENDING' and next_attempt_at <= ? and (claimed_until is null or claimed_until <= ?)
           order by next_attempt_at limit ? for update skip locked
         )
         returning d.*
       )
       select c.id, c.site_id, c.endpoint_id, c.event_id, c.event_type, c.attempts, e.url, ev.data, ev.created_at as event_created_at,
         e.sealed_secret, e.key_version, e.previous_sealed_secret, e.previous_key_version, e.previous_expires_at
       from claimed c join webhook_endpoint e on e.id = c.endpoint_id join notification_event ev on ev.id = c.event_id`,
      [new Date(now.getTime() + CLAIM_MS), now, now, BATCH],
    );
    if (!due.length) break;
    await forEachConcurrently(due, CONCURRENCY, async (d) => {
      const outcome = await attempt(deps, d);
      run.attempted++;
      run[outcome]++;
    });
    if (due.length < BATCH) break;
  }
  return run;
}

async function attempt(deps: Pick<Deps, 'orm' | 'config' | 'keyring' | 'clock' | 'metrics' | 'logger'>, d: Due): Promise<'delivered' | 'retrying' | 'failed'> {
  const now = deps.clock.now();
  const body = JSON.stringify({ type: d.event_type, timestamp: new Date(d.event_created_at).toISOString(), data: d.data });
  const timestamp = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const signatures = signingSecrets(deps, { ...d, id: d.endpoint_id }, now).map((secret) => new Webhook(secret).sign(d.event_id, timestamp, body));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Vestline-Webhooks/1',
    'webhook-id': d.event_id,
    'webhook-timestamp': String(timestamp.getTime() / 1000),
    'webhook-signature': signatures.join(' '),
  };
  const result = await postToTarget(d.url, body, headers, { policy: targetPolicy(deps.config), timeoutMs: deps.config.WEBHOOK_TIMEOUT_MS });
  deps.metrics.webhookAttemptDuration.observe({ outcome: result.ok ? 'delivered' : 'error' }, result.durationMs / 1000);
  const attempts = d.attempts + 1;
  const em = deps.orm.em.fork();
  if (result.ok) {
    await em.execute(
      `update webhook_delivery set status = 'DELIVERED', attempts = ?, last_status_code = ?, last_error = null, delivered_at = ?, next_attempt_at = null, claimed_until = null, updated_at = now()
       where id = ? and site_id = ?`,
      [attempts, result.status, now, d.id, d.site_id],
    );
    deps.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
    return 'delivered';
  }
  const wait = retryDelayMs(attempts);
  const error = (result.error ?? `HTTP ${result.status}`).slice(0, 300);
  if (wait === undefined) {
    await em.transactional(async (tx) => {
      await tx.execute(
        `update webhook_delivery set status = 'FAILED', attempts = ?, last_status_code = ?, last_error = ?, next_attempt_at = null, claimed_until = null, updated_at = now()
         where id = ? and site_id = ?`,
        [attempts, result.status, error, d.id, d.site_id],
      );
      recordAudit(tx, { actor: null, siteId: d.site_id, ip: null }, {
        action: 'webhook.delivery_failed',
        targetType: 'WebhookDelivery',
        targetId: d.id,
        details: { endpointId: d.endpoint_id, eventId: d.event_id, eventType: d.event_type, attempts, lastError: error },
      });
    });
    deps.metrics.webhookDeliveries.inc({ outcome: 'failed' });
    return 'failed';
  }
  await em.execute(
    `update webhook_delivery set attempts = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?, claimed_until = null, updated_at = now()
     where id = ? and site_id = ?`,
    [attempts, result.status, error, new Date(now.getTime() + wait), d.id, d.site_id],
  );
  deps.metrics.webhookDeliveries.inc({ outcome: 'retrying' });
  return 'retrying';
}
