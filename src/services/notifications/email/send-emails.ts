import type { Deps } from '../../../deps.js';
import { asDateOrNull } from '../../../db/plain-reads.js';
import { recordAudit } from '../../audit/record-audit.js';
import { forEachConcurrently } from '../../concurrency.js';
import { retryDelayMs } from '../deliver.js';
import { EmailDeliveryError } from './mailer.js';
import { renderEmail, type EmailData, type EmailEvent } from './templates.js';

/** One SMTP connection per message; a few at once keep a slow server from holding up the rest. */
const CONCURRENCY = 4;
/**
 * One send may take this many SMTP_TIMEOUT_MS in all (connect, greeting, replies: each is timed alone,
 * so a server trickling bytes could stretch it without end); then it is aborted, to be retried.
 */
const SEND_BUDGET_TIMEOUTS = 4;
/** The claim outlives the send's budget by this much: no other worker takes an e-mail still being sent. */
const CLAIM_MARGIN_MS = 30_000;

export interface DueEmail {
  id: string;
  site_id: string;
  event_id: string;
  event_type: EmailEvent;
  recipient: string;
  attempts: number;
  data: Record<string, unknown>;
  site_name: string;
  reference: string | null;
  token_symbol: string | null;
  first_unlock_at: Date | string | null;
}

export interface EmailRun {
  attempted: number;
  sent: number;
  retrying: number;
  failed: number;
  skipped: number;
  /** Sent (or not) after this run's claim had been taken over: the outcome is the new holder's to write. */
  superseded: number;
}

type EmailDeps = Pick<Deps, 'orm' | 'clock' | 'metrics' | 'logger' | 'mailer' | 'config'>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * What the template shows for an e-mail: the event's payload (the object as it was when the event
 * happened) and the few facts the payload does not carry (site name, order reference, token symbol,
 * first unlock). Pure.
 */
export function emailDataFor(e: Pick<DueEmail, 'event_type' | 'recipient' | 'data' | 'site_name' | 'reference' | 'token_symbol' | 'first_unlock_at'>): EmailData {
  const d = e.data;
  const symbol = str((d.asset as Record<string, unknown> | undefined)?.symbol);
  const base: EmailData = { siteName: e.site_name, customerEmail: e.recipient, ...(e.reference ? { reference: e.reference } : {}) };
  const tokenSymbol = e.token_symbol ?? undefined;
  switch (e.event_type) {
    case 'order.paid':
      // The price paid: what arrived when it was more, else the amount due (also when an admin confirmed a payment made another way).
      return { ...base, amount: /^0(\.0*)?$/.test(str(d.amountOverpaid) ?? '0') ? str(d.amountExpected) : str(d.amountReceived), symbol, tokenAmount: str(d.tokenAmount), tokenSymbol, unlockAt: asDateOrNull(e.first_unlock_at)?.toISOString() };
    case 'order.expired':
      return { ...base, amount: str(d.amountExpected), symbol };
    case 'order.underpaid':
      return { ...base, amountReceived: str(d.amountReceived), amountExpected: str(d.amountExpected), symbol };
    case 'release.released':
      return { ...base, tokenAmount: str(d.amount), tokenSymbol, txHash: str(d.txHash), unlockAt: str(d.unlockAt) };
  }
}

/**
 * One run of the e-mail job. With the channel on (SMTP_URL set): claims as many due e-mails as it
 * sends at once (SKIP LOCKED and a claim that outlives the send's budget, so one worker at a time
 * sends each, and one that dies mid-send lets it go when the claim runs out), renders and sends each
 * with its event id as Message-ID (a retry carries the same one), and records the outcome only while
 * it still holds the claim; a permanent refusal (5xx to the message, an unusable address) ends
 * it FAILED at once, anything else is retried on the webhook schedule. With the channel off: due
 * e-mails are marked SKIPPED, so turning it on later never sends old news.
 */
export async function sendDueEmails(deps: EmailDeps, deadline: Date): Promise<EmailRun> {
  const run: EmailRun = { attempted: 0, sent: 0, retrying: 0, failed: 0, skipped: 0, superseded: 0 };
  const budgetMs = SEND_BUDGET_TIMEOUTS * deps.config.SMTP_TIMEOUT_MS;
  const em = deps.orm.em.fork();
  const mailer = deps.mailer;
  if (!mailer) {
    const now = deps.clock.now();
    // all-sites: the e-mail job serves every site.
    const skipped = await em.execute<{ id: string }[]>(
      `update email_delivery set status = 'SKIPPED', last_error = 'e-mail is off (SMTP_URL is not set)', next_attempt_at = null, updated_at = now()
       where status = 'PENDING' and next_attempt_at <= ? returning id`,
      [now],
    );
    run.skipped = skipped.length;
    if (skipped.length) deps.metrics.emailDeliveries.inc({ outcome: 'skipped' }, skipped.length);
    return run;
  }
  while (Date.now() < deadline.getTime()) {
    const now = deps.clock.now();
    const claim = new Date(now.getTime() + budgetMs + CLAIM_MARGIN_MS);
    const due = await em.execute<DueEmail[]>(
      // all-sites: the e-mail job serves every site; each outcome below is written by e-mail id and site.
      `with claimed as (
         update email_delivery m set claimed_until = ?, updated_at = now()
         where m.id in (
           select id from email_delivery
           where status = 'PENDING' and next_attempt_at <= ? and (claimed_until is null or claimed_until <= ?)
           order by next_attempt_at limit ? for update skip locked
         )
         returning m.*
       )
       select c.id, c.site_id, c.event_id, c.event_type, c.recipient, c.attempts, ev.data, s.name as site_name,
         coalesce(o.reference, ro.reference) as reference, ta.symbol as token_symbol, fu.at as first_unlock_at
       from claimed c
       join notification_event ev on ev.id = c.event_id and ev.site_id = c.site_id
       join site s on s.id = c.site_id
       left join payment_order o on c.event_type like 'order.%' and o.id = (ev.data->>'id')::uuid and o.site_id = c.site_id
       left join vesting_release r on c.event_type like 'release.%' and r.id = (ev.data->>'id')::uuid and r.site_id = c.site_id
       left join allocation al on al.site_id = c.site_id and (al.id = r.allocation_id or al.order_id = o.id)
       left join payment_order ro on ro.id = al.order_id and ro.site_id = c.site_id
       left join asset ta on ta.id = coalesce(al.asset_id, o.distribution_asset_id) and ta.site_id = c.site_id
       left join lateral (
         select min(fr.unlock_at) as at from vesting_release fr where c.event_type = 'order.paid' and fr.allocation_id = al.id and fr.site_id = c.site_id
       ) fu on true`,
      [claim, now, now, CONCURRENCY],
    );
    if (!due.length) break;
    await forEachConcurrently(due, CONCURRENCY, async (e) => {
      const outcome = await attempt(deps, mailer, e, claim, budgetMs);
      run.attempted++;
      run[outcome]++;
    });
    if (due.length < CONCURRENCY) break;
  }
  return run;
}

async function attempt(deps: EmailDeps, mailer: NonNullable<Deps['mailer']>, e: DueEmail, claim: Date, budgetMs: number): Promise<'sent' | 'retrying' | 'failed' | 'superseded'> {
  const attempts = e.attempts + 1;
  let error: EmailDeliveryError | undefined;
  try {
    // Past its budget the send is aborted (its connection destroyed), so it cannot go out after this
    // run has written a retry and let the claim go.
    await mailer.send(e.recipient, renderEmail(e.event_type, emailDataFor(e)), { messageId: e.event_id, signal: AbortSignal.timeout(budgetMs) });
  } catch (err) {
    // A template that cannot render this event is a bug no retry fixes.
    error = err instanceof EmailDeliveryError ? err : new EmailDeliveryError(`e-mail could not be rendered: ${(err as Error).message}`, { permanent: true });
  }
  const now = deps.clock.now();
  const em = deps.orm.em.fork();
  // Every outcome is written only while this run still holds its claim (`claimed_until` as it set it).
  const mine = 'id = ? and site_id = ? and claimed_until = ?';
  if (!error) {
    const done = await em.execute<{ id: string }[]>(
      `update email_delivery set status = 'SENT', attempts = ?, last_error = null, sent_at = ?, next_attempt_at = null, claimed_until = null, updated_at = now()
       where ${mine} returning id`,
      [attempts, now, e.id, e.site_id, claim],
    );
    if (!done.length) return 'superseded';
    deps.metrics.emailDeliveries.inc({ outcome: 'sent' });
    return 'sent';
  }
  const lastError = error.message.slice(0, 300);
  const wait = error.permanent ? undefined : retryDelayMs(attempts);
  if (wait === undefined) {
    const failed = await em.transactional(async (tx) => {
      const rows = await tx.execute<{ id: string }[]>(
        `update email_delivery set status = 'FAILED', attempts = ?, last_error = ?, next_attempt_at = null, claimed_until = null, updated_at = now()
         where ${mine} returning id`,
        [attempts, lastError, e.id, e.site_id, claim],
      );
      if (!rows.length) return false;
      recordAudit(tx, { actor: null, siteId: e.site_id, ip: null }, {
        action: 'email.delivery_failed',
        targetType: 'EmailDelivery',
        targetId: e.id,
        details: { eventId: e.event_id, eventType: e.event_type, attempts, permanent: error.permanent, lastError },
      });
      return true;
    });
    if (!failed) return 'superseded';
    deps.logger.warn({ emailId: e.id, eventType: e.event_type, attempts, err: lastError }, 'customer e-mail failed');
    deps.metrics.emailDeliveries.inc({ outcome: 'failed' });
    return 'failed';
  }
  const retrying = await em.execute<{ id: string }[]>(
    `update email_delivery set attempts = ?, last_error = ?, next_attempt_at = ?, claimed_until = null, updated_at = now()
     where ${mine} returning id`,
    [attempts, lastError, new Date(now.getTime() + wait), e.id, e.site_id, claim],
  );
  if (!retrying.length) return 'superseded';
  deps.metrics.emailDeliveries.inc({ outcome: 'retrying' });
  return 'retrying';
}
