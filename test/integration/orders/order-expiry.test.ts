import type { Deps } from '../../../src/deps.js';
import { expireOrders } from '../../../src/services/orders/expire-orders.js';
import { envelope, EVENT_CHANNEL } from '../../../src/services/events/pg-pubsub.js';
import { ORDER_CHANGED, type OrderChanged } from '../../../src/services/orders/order-events.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

/**
 * The expiry of open orders (domain.md, Order): expireOrders() called directly with a clock the test
 * moves, and the Agenda job `orders.expire` that runs it in the worker.
 */

const CREATE = 'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id reference status payToAddress expiresAt } }';
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';
const CONFIRM = 'mutation($id: ID!, $r: String!) { confirmOrderManually(id: $id, reason: $r) { id status } }';
const MINUTE = 60_000;

interface Order {
  id: string;
  reference: string;
  status: string;
  payToAddress: string;
  expiresAt: string;
}

let t: TestApp;
let site: SiteFixture;
let sale: Sale;

beforeAll(async () => {
  t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0' });
  site = await createSiteFixture(t, 'expiry');
  sale = await openSale(t, site, { wallets: 320, slug: 'expiry' });
}, 60_000);
afterAll(() => t.stop());

const sql = <T = Record<string, unknown>>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);

/** The app's dependencies with a clock stopped at `now`. */
const at = (now: Date): Pick<Deps, 'orm' | 'events' | 'clock'> => ({ ...t.app.deps, clock: { now: () => now } });
/** Runs expireOrders as if it were `now`, with a minute of budget on that clock. */
const expireAt = (now: Date) => expireOrders(at(now), new Date(now.getTime() + MINUTE));
const minutesFromNow = (m: number) => new Date(Date.now() + m * MINUTE);

async function createOrder(amount = '100'): Promise<Order> {
  const r = await t.gql<{ createOrder: Order }>(CREATE, { i: { network: 'ETHEREUM', amount, payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken });
  if (r.errors || !r.data) throw new Error(`createOrder failed: ${JSON.stringify(r.errors)}`);
  return r.data.createOrder;
}

/** `n` orders, created 25 at a time. */
async function createOrders(n: number): Promise<Order[]> {
  const out: Order[] = [];
  while (out.length < n) out.push(...(await Promise.all(Array.from({ length: Math.min(25, n - out.length) }, () => createOrder()))));
  return out;
}

async function orderRow(id: string) {
  const [row] = await sql<{ status: string; wallet_status: string; current_order_id: string | null; cooling_down_until: Date | null }>(
    `select o.status, w.status as wallet_status, w.current_order_id, w.cooling_down_until
     from payment_order o join wallet w on w.id = o.wallet_id where o.id = ?`,
    [id],
  );
  return row!;
}

const auditsOf = (id: string) => sql<{ action: string; actor_id: string | null; ip: string | null; details: Record<string, unknown> }>('select action, actor_id, ip, details from audit_entry where target_id = ? order by at, id', [id]);

/**
 * Listens to the site's order events on the app's bus (what both order subscriptions feed on) and
 * returns the order ids heard until `want` of them came, or the time ran out. Starts after every event
 * already published: the creation events of orders made just before may still be on their way, so it
 * sends a marker through the database and skips everything up to it (NOTIFYs arrive in commit order).
 */
async function listen(siteId: string) {
  const it = t.app.deps.events.subscribe(ORDER_CHANGED, siteId)[Symbol.asyncIterator]();
  const MARKER = 'listen-starts-here';
  await sql('select pg_notify(?, ?)', [EVENT_CHANNEL, envelope(ORDER_CHANGED, { orderId: MARKER } satisfies OrderChanged, siteId)]);
  for (let r = await it.next(); !r.done && (r.value as OrderChanged).orderId !== MARKER; r = await it.next());
  const heard: string[] = [];
  // A next() that lost a race against the clock is kept for the following call, so no event is dropped.
  let next: Promise<IteratorResult<unknown>> | undefined;
  return {
    heard,
    async until(want: number, ms = 5000): Promise<string[]> {
      const end = Date.now() + ms;
      while (heard.length < want) {
        const left = end - Date.now();
        if (left <= 0) break;
        next ??= it.next();
        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([next, new Promise<'timeout'>((ok) => (timer = setTimeout(() => ok('timeout'), left)))]);
        clearTimeout(timer);
        if (r === 'timeout') break;
        next = undefined;
        if (r.done) break;
        heard.push((r.value as OrderChanged).orderId);
      }
      return heard;
    },
    stop: () => it.return?.(),
  };
}

/**
 * Every test starts with no overdue open order: what one test leaves open is ended here, a day
 * ahead, so the counts expireOrders() returns belong to the test that calls it.
 */
afterEach(async () => {
  await expireAt(minutesFromNow(24 * 60));
});

describe('expireOrders', () => {
  it('ends a PENDING order past its expiry: EXPIRED, wallet cooling down, audited by the system, event published', async () => {
    const o = await createOrder();
    const events = await listen(site.siteId);
    try {
      expect(await expireAt(minutesFromNow(31))).toEqual({ expired: 1, underpaid: 0 });
      const row = await orderRow(o.id);
      expect(row).toMatchObject({ status: 'EXPIRED', wallet_status: 'COOLING_DOWN', current_order_id: null });
      // The site's cool-down (default 1 hour) runs from the database's now, not the test clock.
      expect(new Date(row.cooling_down_until!).getTime()).toBeGreaterThan(Date.now() + 55 * MINUTE);
      expect(await auditsOf(o.id)).toEqual([
        expect.objectContaining({ action: 'order.created' }),
        { action: 'order.expired', actor_id: null, ip: null, details: { from: 'PENDING', to: 'EXPIRED' } },
      ]);
      expect(await events.until(1)).toEqual([o.id]);
    } finally {
      await events.stop();
    }
  });

  it('leaves a PENDING order alone until its expiry, and ends it at expiresAt exactly', async () => {
    const o = await createOrder();
    const expiresAt = new Date(o.expiresAt);
    expect(await expireAt(new Date(expiresAt.getTime() - 1))).toEqual({ expired: 0, underpaid: 0 });
    expect(await orderRow(o.id)).toMatchObject({ status: 'PENDING', wallet_status: 'ALLOCATED', current_order_id: o.id });
    expect((await auditsOf(o.id)).map((a) => a.action)).toEqual(['order.created']);
    expect(await expireAt(expiresAt)).toEqual({ expired: 1, underpaid: 0 });
    expect((await orderRow(o.id)).status).toBe('EXPIRED');
  });

  it('ends a CONFIRMING order past expiry whose confirmed amount is short as UNDERPAID; one with an unconfirmed part, or paid in full, waits', async () => {
    const [short, unconfirmed, full] = await createOrders(3);
    // What the watcher writes (base units, 6 decimals): 40 of 100 seen and confirmed; 60 seen of which
    // 40 confirmed; 100 seen and confirmed (the watcher's to make PAID, not the expiry's).
    await sql(`update payment_order set status = 'CONFIRMING', amount_received = 40000000, amount_confirmed = 40000000 where id = ?`, [short!.id]);
    await sql(`update payment_order set status = 'CONFIRMING', amount_received = 60000000, amount_confirmed = 40000000 where id = ?`, [unconfirmed!.id]);
    await sql(`update payment_order set status = 'CONFIRMING', amount_received = 100000000, amount_confirmed = 100000000 where id = ?`, [full!.id]);
    const events = await listen(site.siteId);
    try {
      expect(await expireAt(minutesFromNow(31))).toEqual({ expired: 0, underpaid: 1 });
      expect(await orderRow(short!.id)).toMatchObject({ status: 'UNDERPAID', wallet_status: 'COOLING_DOWN', current_order_id: null });
      expect((await auditsOf(short!.id)).at(-1)).toEqual({ action: 'order.underpaid', actor_id: null, ip: null, details: { from: 'CONFIRMING', to: 'UNDERPAID' } });
      expect(await events.until(1)).toEqual([short!.id]);
      for (const waiting of [unconfirmed!, full!]) {
        expect(await orderRow(waiting.id)).toMatchObject({ status: 'CONFIRMING', wallet_status: 'ALLOCATED', current_order_id: waiting.id });
        expect((await auditsOf(waiting.id)).map((a) => a.action)).toEqual(['order.created']);
      }
      // The unconfirmed part confirms short: the next run makes it UNDERPAID.
      await sql(`update payment_order set amount_confirmed = 60000000 where id = ?`, [unconfirmed!.id]);
      expect(await expireAt(minutesFromNow(32))).toEqual({ expired: 0, underpaid: 1 });
      expect((await orderRow(unconfirmed!.id)).status).toBe('UNDERPAID');
    } finally {
      await events.stop();
      // Not an expiry case any more: out of the way of the next tests.
      await sql(`update payment_order set amount_received = 0, amount_confirmed = 0, status = 'PENDING' where id = ?`, [full!.id]);
    }
  });

  it('leaves PAID, CANCELLED, EXPIRED and UNDERPAID orders untouched', async () => {
    const [paid, cancelled, underpaid] = await createOrders(3);
    expect((await t.gql(CONFIRM, { id: paid!.id, r: 'checked by hand' }, { token: site.adminToken })).errors).toBeUndefined();
    expect((await t.gql(CANCEL, { id: cancelled!.id }, { token: site.customerToken })).errors).toBeUndefined();
    await sql(`update payment_order set status = 'CONFIRMING', amount_received = 1000000, amount_confirmed = 1000000 where id = ?`, [underpaid!.id]);
    expect(await expireAt(minutesFromNow(31))).toEqual({ expired: 0, underpaid: 1 });
    const before = await sql('select id, status, updated_at from payment_order order by id');
    const audits = await sql<{ n: number }>('select count(*)::int as n from audit_entry');

    expect(await expireAt(minutesFromNow(24 * 60))).toEqual({ expired: 0, underpaid: 0 });
    expect(await sql('select id, status, updated_at from payment_order order by id')).toEqual(before);
    expect(await sql<{ n: number }>('select count(*)::int as n from audit_entry')).toEqual(audits);
    expect((await orderRow(paid!.id)).status).toBe('PAID');
    expect((await orderRow(cancelled!.id)).status).toBe('CANCELLED');
  });

  it('ends each of 50 overdue orders exactly once when two runs race: one audit entry, one event, one wallet release each', async () => {
    const orders = await createOrders(50);
    const ids = orders.map((o) => o.id);
    const events = await listen(site.siteId);
    try {
      const now = minutesFromNow(31);
      const [r1, r2] = await Promise.all([expireAt(now), expireAt(now)]);
      expect(r1.expired + r2.expired).toBe(50);
      expect(r1.underpaid + r2.underpaid).toBe(0);

      const audits = await sql<{ target_id: string; n: number }>(
        `select target_id, count(*)::int as n from audit_entry where action = 'order.expired' and target_id in (?) group by target_id`,
        [ids],
      );
      expect(audits).toHaveLength(50);
      expect(audits.every((a) => a.n === 1)).toBe(true);
      const wallets = await sql<{ status: string; current_order_id: string | null; n: number }>(
        `select w.status, w.current_order_id, count(*)::int as n from payment_order o join wallet w on w.id = o.wallet_id
         where o.id in (?) and o.status = 'EXPIRED' group by w.status, w.current_order_id`,
        [ids],
      );
      expect(wallets).toEqual([{ status: 'COOLING_DOWN', current_order_id: null, n: 50 }]);

      const heard = await events.until(50);
      expect([...heard].sort()).toEqual([...ids].sort());
      // A second event for any of them would come right behind the first 50: give it a moment (a
      // missing event has no signal to wait for).
      expect(await events.until(51, 300)).toHaveLength(50);
    } finally {
      await events.stop();
    }
  });

  it('ends more than one batch (200) of overdue orders in one call', async () => {
    const orders = await createOrders(230);
    expect(await expireAt(minutesFromNow(31))).toEqual({ expired: 230, underpaid: 0 });
    const [row] = await sql<{ n: number }>(`select count(*)::int as n from payment_order where id in (?) and status = 'EXPIRED'`, [orders.map((o) => o.id)]);
    expect(row!.n).toBe(230);
  });

  it('stops at its deadline and leaves the rest for the next run', async () => {
    const o = await createOrder();
    const now = minutesFromNow(31);
    // A deadline already reached: nothing is started.
    expect(await expireOrders(at(now), now)).toEqual({ expired: 0, underpaid: 0 });
    expect((await orderRow(o.id)).status).toBe('PENDING');
    expect(await expireAt(now)).toEqual({ expired: 1, underpaid: 0 });
  });
});

describe('the orders.expire job', () => {
  it('is scheduled every 15 seconds and, run by the worker, expires an order whose expiry passed', async () => {
    const [schedule] = await sql<{ repeat_interval: string }>(`select repeat_interval from agenda_jobs where name = 'orders.expire' and repeat_interval is not null`);
    expect(schedule?.repeat_interval).toBe('15 seconds');

    const o = await createOrder();
    await sql(`update payment_order set expires_at = now() - interval '1 second' where id = ?`, [o.id]);
    // Due now rather than at its next 15-second turn; the worker (polling every 200 ms) picks it up.
    await t.app.jobs.agenda.now('orders.expire');
    const end = Date.now() + 10_000;
    while ((await orderRow(o.id)).status !== 'EXPIRED' && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(await orderRow(o.id)).toMatchObject({ status: 'EXPIRED', wallet_status: 'COOLING_DOWN', current_order_id: null });
    expect((await auditsOf(o.id)).at(-1)).toMatchObject({ action: 'order.expired', actor_id: null });
  });
});
