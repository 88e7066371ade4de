import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Deps } from '../../../src/deps.js';
import { deliverDueWebhooks, RETRY_DELAYS_MS } from '../../../src/services/notifications/deliver.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant's receiver on 127.0.0.1: records every request and answers with `answer(n)` (n = 1-based attempt). */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answer(got.length);
      if (a !== 'hang') res.writeHead(a).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

describe('merchant webhooks', () => {
  let t: TestApp;
  let site: SiteFixture;
  let other: SiteFixture;
  let sale: Sale;
  let clock: Date;
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);
  /** The delivery job's work at a chosen time: retries come due by moving this clock, not by waiting hours. */
  const deliverAt = (at: Date) => deliverDueWebhooks({ ...t.app.deps, clock: { now: () => at } } as Deps, new Date(Date.now() + 30_000));
  const CREATE = 'mutation($u: String!, $e: [String!]) { createWebhookEndpoint(url: $u, events: $e) { secret endpoint { id url events active } } }';
  const create = async (url: string, events?: string[]) => {
    const r = await t.gql<{ createWebhookEndpoint: { secret: string; endpoint: { id: string } } }>(CREATE, { u: url, e: events }, { token: site.adminToken });
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data.createWebhookEndpoint;
  };
  const order = async () =>
    (await t.gql<{ createOrder: { id: string; reference: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id reference } }', { i: { network: 'ETHEREUM', amount: '10', payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken })).data!.createOrder;
  const setActive = (id: string, active: boolean) => t.gql('mutation($id: ID!, $a: Boolean!) { setWebhookEndpointActive(id: $id, active: $a) { id } }', { id, a: active }, { token: site.adminToken });

  beforeAll(async () => {
    // The job runner is off (--role=api): deliveries run only when the test calls the job's work.
    t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0', WEBHOOK_ALLOW_PRIVATE_TARGETS: '1', WEBHOOK_TIMEOUT_MS: '500' }, { argv: ['--role=api'] });
    site = await createSiteFixture(t, 'hooks');
    other = await createSiteFixture(t, 'hooks-other');
    sale = await openSale(t, site, { wallets: 20, slug: 'hooks' });
    clock = new Date(Date.now() + 1000);
  }, 60_000);
  afterAll(() => t.stop());

  it('signs each event in the Standard Webhooks format: an independent verifier accepts it; the body is the object as the API shows it', async () => {
    const r = await receiver();
    const ep = await create(r.url, ['order.created', 'order.cancelled']);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const o = await order();
    await t.gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: o.id }, { token: site.customerToken });
    expect(await deliverAt(clock)).toMatchObject({ delivered: 2 });
    const verifier = new Webhook(ep.secret);
    const events = r.got.map((g) => verifier.verify(g.body, { 'webhook-id': String(g.headers['webhook-id']), 'webhook-timestamp': String(g.headers['webhook-timestamp']), 'webhook-signature': String(g.headers['webhook-signature']) }) as { type: string; data: { id: string; reference: string; amountExpected: string; status: string } });
    expect(events.map((e) => e.type).sort()).toEqual(['order.cancelled', 'order.created']);
    expect(events.every((e) => e.data.id === o.id && e.data.reference === o.reference && e.data.amountExpected === '10')).toBe(true);
    expect(r.got.map((g) => g.headers['webhook-id'])).toEqual(expect.arrayContaining([expect.stringMatching(/^msg_[0-9a-f]{32}$/)]));
    await setActive(ep.endpoint.id, false);
    await r.close();
  });

  it('retries on the schedule until delivered (500, 500, then 200): attempts counted, one webhook-id throughout', async () => {
    const r = await receiver((n) => (n <= 2 ? 500 : 200));
    const ep = await create(r.url, ['order.created']);
    await order();
    expect(await deliverAt(clock)).toMatchObject({ retrying: 1 });
    // Not due before its first retry time (about 5 s later)…
    expect(await deliverAt(new Date(clock.getTime() + 1000))).toMatchObject({ attempted: 0 });
    expect(await deliverAt(new Date(clock.getTime() + RETRY_DELAYS_MS[0]! * 1.2))).toMatchObject({ retrying: 1 });
    expect(await deliverAt(new Date(clock.getTime() + RETRY_DELAYS_MS[0]! * 1.2 + RETRY_DELAYS_MS[1]! * 1.2))).toMatchObject({ delivered: 1 });
    expect(new Set(r.got.map((g) => g.headers['webhook-id'])).size).toBe(1);
    const d = await t.gql<{ webhookDeliveries: { edges: { node: { status: string; attempts: number; lastStatusCode: number } }[] } }>(
      'query($e: ID) { webhookDeliveries(endpointId: $e) { edges { node { status attempts lastStatusCode } } } }',
      { e: ep.endpoint.id },
      { token: site.operatorToken },
    );
    expect(d.data!.webhookDeliveries.edges.map((x) => x.node)).toEqual([{ status: 'DELIVERED', attempts: 3, lastStatusCode: 200 }]);
    await setActive(ep.endpoint.id, false);
    await r.close();
  });

  it('gives up after the last retry (FAILED, audited), and redeliverWebhook sends it again with the same webhook-id', async () => {
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const ep = await create(r.url, ['order.created']);
    await order();
    let at = clock.getTime();
    await deliverAt(new Date(at));
    for (const wait of RETRY_DELAYS_MS) {
      at += wait * 1.2;
      await deliverAt(new Date(at));
    }
    const [delivery] = await sql<{ id: string; status: string; attempts: number }>('select id, status, attempts from webhook_delivery where endpoint_id = ?', [ep.endpoint.id]);
    expect(delivery).toMatchObject({ status: 'FAILED', attempts: RETRY_DELAYS_MS.length + 1 });
    expect(await sql(`select action from audit_entry where target_id = ?`, [delivery!.id])).toEqual([{ action: 'webhook.delivery_failed' }]);
    up = true;
    const re = await t.gql<{ redeliverWebhook: { status: string } }>('mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status } }', { id: delivery!.id }, { token: site.operatorToken });
    expect(re.data!.redeliverWebhook.status).toBe('PENDING');
    expect(await deliverAt(new Date(Date.now() + 1000))).toMatchObject({ delivered: 1 });
    expect(new Set(r.got.map((g) => g.headers['webhook-id'])).size).toBe(1);
    expect((await t.gql('mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status } }', { id: delivery!.id }, { token: other.adminToken })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await setActive(ep.endpoint.id, false);
    await r.close();
  });

  it('sends again after a worker died mid-attempt (its claim ran out), with the same webhook-id', async () => {
    const r = await receiver((n) => (n === 1 ? 'hang' : 200));
    const ep = await create(r.url, ['order.created']);
    await order();
    // The first attempt hangs past the timeout; pretend its worker died before recording anything.
    const first = deliverAt(clock);
    await new Promise((res) => setTimeout(res, 100));
    await sql(`update webhook_delivery set claimed_until = ? where endpoint_id = ?`, [new Date(clock.getTime() + 60_000), ep.endpoint.id]);
    expect(await deliverAt(new Date(clock.getTime() + 30_000))).toMatchObject({ attempted: 0 });
    await first;
    await sql(`update webhook_delivery set status = 'PENDING', attempts = 0, next_attempt_at = ?, claimed_until = ? where endpoint_id = ?`, [clock, new Date(clock.getTime() + 60_000), ep.endpoint.id]);
    expect(await deliverAt(new Date(clock.getTime() + 61_000))).toMatchObject({ delivered: 1 });
    expect(r.got).toHaveLength(2);
    expect(r.got[0]!.headers['webhook-id']).toBe(r.got[1]!.headers['webhook-id']);
    await setActive(ep.endpoint.id, false);
    await r.close();
  });

  it('rotates: both secrets verify during the overlap, only the new one after it', async () => {
    const r = await receiver();
    const ep = await create(r.url, ['order.created']);
    const rotated = await t.gql<{ rotateWebhookSecret: { secret: string } }>('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: ep.endpoint.id }, { token: site.adminToken });
    const fresh = rotated.data!.rotateWebhookSecret.secret;
    expect(fresh).not.toBe(ep.secret);
    await order();
    await deliverAt(clock);
    const verifyWith = (secret: string, g: Received) =>
      new Webhook(secret).verify(g.body, { 'webhook-id': String(g.headers['webhook-id']), 'webhook-timestamp': String(g.headers['webhook-timestamp']), 'webhook-signature': String(g.headers['webhook-signature']) });
    expect(() => verifyWith(ep.secret, r.got[0]!)).not.toThrow();
    expect(() => verifyWith(fresh, r.got[0]!)).not.toThrow();
    expect(String(r.got[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // After 24 hours only the new secret signs.
    await sql(`update webhook_endpoint set previous_expires_at = now() - interval '1 second' where id = ?`, [ep.endpoint.id]);
    await order();
    await deliverAt(clock);
    expect(() => verifyWith(fresh, r.got[1]!)).not.toThrow();
    expect(() => verifyWith(ep.secret, r.got[1]!)).toThrow();
    await setActive(ep.endpoint.id, false);
    await r.close();
  });

  it('refuses private, metadata and malformed targets, unknown event types; only SITE_ADMIN manages endpoints; another site sees none', async () => {
    const before = await sql('select count(*)::int as n from webhook_endpoint');
    for (const url of ['http://169.254.169.254/latest/meta-data', 'not a url', 'ftp://example.com/x']) {
      const r = await t.gql(CREATE, { u: url }, { token: site.adminToken });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    expect((await t.gql(CREATE, { u: 'https://example.com/h', e: ['order.nope'] }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events' });
    expect((await t.gql(CREATE, { u: 'https://example.com/h' }, { token: site.operatorToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await sql('select count(*)::int as n from webhook_endpoint')).toEqual(before);
    const theirs = await t.gql<{ webhookEndpoints: unknown[] }>('{ webhookEndpoints { id } }', {}, { token: other.adminToken });
    expect(theirs.data!.webhookEndpoints).toEqual([]);
    const theirDeliveries = await t.gql<{ webhookDeliveries: { edges: unknown[] } }>('{ webhookDeliveries { edges { node { id } } } }', {}, { token: other.adminToken });
    expect(theirDeliveries.data!.webhookDeliveries.edges).toEqual([]);
    const [mine] = await sql<{ id: string }>('select id from webhook_endpoint where site_id = ? limit 1', [site.siteId]);
    expect((await t.gql('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: mine!.id }, { token: other.adminToken })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await sql(`select count(*)::int as n from audit_entry where action = 'webhook_endpoint.created' and details::text like '%whsec%'`)).toEqual([{ n: 0 }]);
  });
});

describe('merchant webhook targets in production', () => {
  it('refuses a non-HTTPS URL and loopback (no WEBHOOK_ALLOW_PRIVATE_TARGETS)', async () => {
    const { checkTarget } = await import('../../../src/services/notifications/safe-delivery.js');
    expect(await checkTarget('http://example.com/h', { httpsOnly: true, allowPrivate: false }, async () => [{ address: '93.184.216.34', family: 4 }])).toMatchObject({ ok: false, problem: 'scheme_not_allowed' });
    expect(await checkTarget('https://127.0.0.1/h', { httpsOnly: true, allowPrivate: false })).toMatchObject({ ok: false, problem: 'private_address' });
    expect(await checkTarget('https://10.1.2.3/h', { httpsOnly: true, allowPrivate: false })).toMatchObject({ ok: false, problem: 'private_address' });
    expect(await checkTarget('https://[::1]/h', { httpsOnly: true, allowPrivate: false })).toMatchObject({ ok: false, problem: 'private_address' });
  });
});
