import type { Deps } from '../../../src/deps.js';
import { EmailDeliveryError } from '../../../src/services/notifications/email/mailer.js';
import { sendDueEmails } from '../../../src/services/notifications/email/send-emails.js';
import { RETRY_DELAYS_MS } from '../../../src/services/notifications/deliver.js';
import { expireOrders } from '../../../src/services/orders/expire-orders.js';
import { unlockDueReleases } from '../../../src/services/vesting/unlock-releases.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../support/smtp-receiver.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

/**
 * Customer e-mails behind the outbox: the state change writes the e-mail in its own transaction, the
 * e-mail job sends it to a real SMTP server (smtp-server on 127.0.0.1) and retries it like a webhook.
 * Time moves through the job's clock, not by waiting.
 */
describe('customer e-mails', () => {
  let t: TestApp;
  let smtp: SmtpReceiver;
  let site: SiteFixture;
  let sale: Sale;
  const FROM = 'Acme Sale <sale@acme.example>';
  const CUSTOMER = 'customer@mails.test';
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);
  /** The e-mail job's work at a chosen time. */
  const sendAt = (at: Date, over: Partial<Deps> = {}) => sendDueEmails({ ...t.app.deps, clock: { now: () => at }, ...over }, new Date(Date.now() + 30_000));
  const later = (ms: number) => new Date(Date.now() + ms);
  const order = async (amount = '10') =>
    (await t.gql<{ createOrder: { id: string; reference: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id reference } }', { i: { network: 'ETHEREUM', amount, payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken })).data!.createOrder;
  const confirm = (id: string) => t.gql('mutation($id: ID!) { confirmOrderManually(id: $id, reason: "paid by bank transfer") { id } }', { id }, { token: site.adminToken });
  const emailOf = async (orderId: string) =>
    (await sql<{ id: string; event_id: string; event_type: string; recipient: string; status: string; attempts: number; last_error: string | null }>(
      `select m.id, m.event_id, m.event_type, m.recipient, m.status, m.attempts, m.last_error from email_delivery m join notification_event ev on ev.id = m.event_id where ev.data->>'id' = ? order by m.created_at`,
      [orderId],
    ));

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    // The job runner is off (--role=api): e-mails go out only when the test runs the job's work.
    t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0', SMTP_URL: smtp.url, SMTP_FROM: FROM, SMTP_TIMEOUT_MS: '2000', MOCK_CUSTODY_STEP_MS: '50' }, { argv: ['--role=api'] });
    site = await createSiteFixture(t, 'mails');
    sale = await openSale(t, site, { wallets: 20, slug: 'mails' });
  }, 60_000);
  afterAll(async () => {
    await t.stop();
    await smtp.close();
  });

  it('order.paid: one e-mail to the customer, written with the status change, with the site, reference and amounts; Message-ID is the event id', async () => {
    const o = await order('12.5');
    expect(await emailOf(o.id)).toEqual([]); // order.created sends no e-mail
    await confirm(o.id);
    const [row] = await emailOf(o.id);
    expect(row).toMatchObject({ event_type: 'order.paid', recipient: CUSTOMER, status: 'PENDING', attempts: 0 });
    expect(await sendAt(later(1000))).toMatchObject({ attempted: 1, sent: 1 });
    const [m] = await smtp.waitFor(1);
    expect(m!.envelope.rcptTo).toEqual([CUSTOMER]);
    expect(m!.envelope.mailFrom).toBe('sale@acme.example');
    expect(m!.subject).toBe(`Payment received for order ${o.reference} – mails`);
    expect(m!.header('message-id')).toBe(`<${row!.event_id}@acme.example>`);
    // Amounts are exact Decimal strings.
    for (const shown of [o.reference, '12.5 USDT', 'mails']) {
      expect(m!.text).toContain(shown);
      expect(m!.html).toContain(shown);
    }
    expect(m!.text).toMatch(/Tokens purchased: +\d+(\.\d+)? SALE/);
    expect(m!.text).toMatch(/First unlock: +\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(m!.raw).not.toContain(o.id); // no internal ids, no keys: only what the template names
    expect(await emailOf(o.id)).toMatchObject([{ status: 'SENT', attempts: 1 }]);
    // Sent once: the next run finds nothing due.
    expect(await sendAt(later(2000))).toMatchObject({ attempted: 0 });
  });

  it('order.expired: the amount that was due; a cancelled order sends none', async () => {
    const expired = await order('17');
    const cancelled = await order('18');
    await t.gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: cancelled.id }, { token: site.customerToken });
    // The run's deadline is on the same clock as the expiry.
    await expireOrders({ ...t.app.deps, clock: { now: () => later(3 * 86_400_000) } }, later(3 * 86_400_000 + 30_000));
    expect(await emailOf(cancelled.id)).toEqual([]);
    expect(await emailOf(expired.id)).toMatchObject([{ event_type: 'order.expired', status: 'PENDING' }]);
    const before = smtp.messages.length;
    expect(await sendAt(later(1000))).toMatchObject({ sent: 1 });
    const m = smtp.messages[before]!;
    expect(m.subject).toBe(`Order ${expired.reference} has expired – mails`);
    expect(m.text).toContain('17 USDT');
  });

  it('release.released: the tokens sent and the payout transaction hash, after MOCK custody settles the release', async () => {
    const o = await order('10');
    await confirm(o.id);
    await sendAt(later(1000)); // the order.paid e-mail
    await unlockDueReleases(t.app.deps, new Date(), later(5000));
    const [rel] = await sql<{ id: string }>(`select r.id from vesting_release r join allocation a on a.id = r.allocation_id where a.order_id = ? and r.status = 'UNLOCKED'`, [o.id]);
    await t.gql('mutation($ids: [ID!]!) { releaseBatch(releaseIds: $ids) { submitted { id } } }', { ids: [rel!.id] }, { token: site.adminToken });
    const deadline = Date.now() + 10_000;
    while ((await emailOf(rel!.id)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [row] = await emailOf(rel!.id);
    expect(row).toMatchObject({ event_type: 'release.released', recipient: CUSTOMER });
    const before = smtp.messages.length;
    expect(await sendAt(later(1000))).toMatchObject({ sent: 1 });
    const m = smtp.messages[before]!;
    const [{ tx_hash: txHash }] = (await sql<{ tx_hash: string }>('select tx_hash from vesting_release where id = ?', [rel!.id])) as [{ tx_hash: string }];
    expect(m.subject).toBe(`Tokens released for order ${o.reference} – mails`);
    expect(m.text).toContain(txHash);
    expect(m.text).toMatch(/Amount released: +\d+(\.\d+)? SALE/);
  });

  it('a 451 is retried on the schedule with the same Message-ID; a 550 ends it FAILED at once, audited, not retried', async () => {
    const a = await order('13');
    await confirm(a.id);
    smtp.refuseNext(1, 451);
    expect(await sendAt(later(1000))).toMatchObject({ retrying: 1 });
    const [first] = await emailOf(a.id);
    expect(first).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(first!.last_error).toMatch(/451/);
    expect(first!.last_error).not.toContain(CUSTOMER);
    // Not due before its retry time…
    expect(await sendAt(later(1000))).toMatchObject({ attempted: 0 });
    // …then sent, with the Message-ID the refused attempt had.
    expect(await sendAt(later(1000 + RETRY_DELAYS_MS[0]! * 1.2))).toMatchObject({ sent: 1 });
    const refusedId = smtp.refused.at(-1)!.header('message-id');
    expect(smtp.messages.at(-1)!.header('message-id')).toBe(refusedId);
    expect(await emailOf(a.id)).toMatchObject([{ status: 'SENT', attempts: 2 }]);

    const b = await order('14');
    await confirm(b.id);
    smtp.refuseNext(1, 550);
    expect(await sendAt(later(1000))).toMatchObject({ failed: 1 });
    const [failed] = await emailOf(b.id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(await sendAt(later(86_400_000 * 3))).toMatchObject({ attempted: 0 });
    expect(await sql(`select action, actor_id from audit_entry where target_id = ?`, [failed!.id])).toEqual([{ action: 'email.delivery_failed', actor_id: null }]);
  });

  it('two workers at once send each e-mail once; a worker that died mid-send lets it go when its claim runs out', async () => {
    const orders = await Promise.all(Array.from({ length: 6 }, () => order('12')));
    for (const o of orders) await confirm(o.id);
    const before = smtp.messages.length;
    const runs = await Promise.all([sendAt(later(1000)), sendAt(later(1000))]);
    expect(runs[0]!.sent + runs[1]!.sent).toBe(6);
    expect(smtp.messages.length - before).toBe(6);
    expect(new Set(smtp.messages.slice(before).map((m) => m.header('message-id'))).size).toBe(6);

    // A worker claimed this one and died: nobody sends it until the claim runs out, then it goes once.
    const o = await order('12');
    await confirm(o.id);
    await sql(`update email_delivery set claimed_until = ? where event_id in (select id from notification_event where data->>'id' = ?)`, [later(120_000), o.id]);
    expect(await sendAt(later(1000))).toMatchObject({ attempted: 0 });
    expect(await sendAt(later(121_000))).toMatchObject({ sent: 1 });
  });

  it('aborts a send that outlasts its budget (retrying), before its claim could run out', async () => {
    const o = await order('16');
    await confirm(o.id);
    // Like the real mailer, it ends when its signal aborts (the real one destroys its connection then).
    const hanging = {
      send: (_to: string, _m: unknown, o: { signal?: AbortSignal }) =>
        new Promise<void>((_, reject) => o.signal?.addEventListener('abort', () => reject(new EmailDeliveryError('e-mail aborted: it did not finish in time', { permanent: false, code: 'EABORTED' })))),
      close: () => undefined,
    };
    const started = Date.now();
    const run = await sendAt(later(1000), { mailer: hanging, config: { ...t.app.deps.config, SMTP_TIMEOUT_MS: 100 } });
    expect(run).toMatchObject({ attempted: 1, retrying: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
    const [row] = await emailOf(o.id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(row!.last_error).toMatch(/did not finish in time/);
    await sendAt(later(1000 + RETRY_DELAYS_MS[0]! * 1.2)); // and it goes out on its retry
    expect(await emailOf(o.id)).toMatchObject([{ status: 'SENT' }]);
  });

  it('a run whose claim was taken over does not write the outcome: the run holding the claim does', async () => {
    const o = await order('19');
    await confirm(o.id);
    const [row] = await emailOf(o.id);
    let sent = 0;
    const stolen = {
      // While this send is in flight, another worker takes the claim over (as if this one had stalled past it).
      send: async () => {
        await sql('update email_delivery set claimed_until = ? where id = ?', [later(999_000), row!.id]);
        sent++;
      },
      close: () => undefined,
    };
    expect(await sendAt(later(1000), { mailer: stolen })).toMatchObject({ attempted: 1, sent: 0 });
    expect(sent).toBe(1);
    expect(await emailOf(o.id)).toMatchObject([{ status: 'PENDING', attempts: 0 }]);
    await sql('update email_delivery set claimed_until = null where id = ?', [row!.id]);
    expect(await sendAt(later(1000))).toMatchObject({ sent: 1 });
  });

  it('with the channel off (no SMTP_URL), due e-mails are SKIPPED and nothing is sent; turning it on later sends no old news', async () => {
    const o = await order('15');
    await confirm(o.id);
    const before = smtp.messages.length;
    expect(await sendAt(later(1000), { mailer: null })).toMatchObject({ attempted: 0, skipped: 1 });
    expect(await emailOf(o.id)).toMatchObject([{ status: 'SKIPPED', attempts: 0 }]);
    expect(await sendAt(later(2000))).toMatchObject({ attempted: 0 });
    expect(smtp.messages.length).toBe(before);
  });
});
