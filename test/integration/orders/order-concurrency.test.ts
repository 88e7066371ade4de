import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type GqlResult, type SiteFixture, type TestApp } from '../../support/test-app.js';

/**
 * The load case: "1000 concurrent createOrder calls with a pool of 1000: 1000 orders, 1000
 * distinct addresses, zero duplicates; the same with 1100 calls: 100 clean pool-exhausted errors."
 * Every call is a real HTTP request, all of them in flight at once against one site's pool, served
 * by one process with 20 database connections. The pool is never topped up meanwhile
 * (WALLET_POOL_MIN_AVAILABLE=0: the replenish job adds nothing).
 */

const CREATE = 'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status payToAddress } }';
const WALLETS = 1000;

interface Created {
  id: string;
  status: string;
  payToAddress: string;
}

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0', DB_POOL_MAX: '20', LOG_LEVEL: 'info' });
}, 30_000);
afterAll(() => t.stop());

const sql = <T = Record<string, unknown>>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);

async function openPool(slug: string): Promise<{ site: SiteFixture; sale: Sale }> {
  const site = await createSiteFixture(t, slug);
  const sale = await openSale(t, site, { wallets: WALLETS, slug });
  const [pool] = await sql<{ n: number; available: number }>(`select count(*)::int as n, count(*) filter (where status = 'AVAILABLE')::int as available from wallet where site_id = ?`, [site.siteId]);
  expect(pool).toEqual({ n: WALLETS, available: WALLETS });
  return { site, sale };
}

/** `calls` createOrder requests, all started before any is awaited, from the site's two customers in turn. */
async function createAtOnce(site: SiteFixture, sale: Sale, calls: number): Promise<GqlResult<{ createOrder: Created }>[]> {
  const input = { network: 'ETHEREUM', amount: '100', payoutAddress: ETH_PAYOUT, planId: sale.planId };
  const tokens = [site.customerToken, sale.otherCustomerToken];
  return Promise.all(Array.from({ length: calls }, (_, i) => t.gql<{ createOrder: Created }>(CREATE, { i: input }, { token: tokens[i % 2] })));
}

/** What the database holds for a site's orders, wallets and order audit entries. */
async function siteState(siteId: string) {
  const [orders] = await sql<{ n: number; addresses: number; wallets: number }>(
    'select count(*)::int as n, count(distinct pay_to_address)::int as addresses, count(distinct wallet_id)::int as wallets from payment_order where site_id = ?',
    [siteId],
  );
  // Every wallet held by exactly the order that names it, and that order pays to the wallet's address.
  const [held] = await sql<{ n: number }>(
    `select count(*)::int as n from wallet w join payment_order o on o.wallet_id = w.id
     where w.site_id = ? and w.status = 'ALLOCATED' and w.current_order_id = o.id and o.pay_to_address = w.address and o.status = 'PENDING'`,
    [siteId],
  );
  const wallets = await sql<{ status: string; n: number }>('select status, count(*)::int as n from wallet where site_id = ? group by status order by status', [siteId]);
  const audited = await sql<{ target_id: string; action: string }>(`select target_id, action from audit_entry where site_id = ? and target_type = 'PaymentOrder'`, [siteId]);
  const orderIds = (await sql<{ id: string }>('select id from payment_order where site_id = ?', [siteId])).map((r) => r.id);
  return { orders: orders!, held: held!.n, wallets, audited, orderIds };
}

function split(results: GqlResult<{ createOrder: Created }>[]) {
  const created = results.filter((r) => !r.errors).map((r) => r.data!.createOrder);
  const refused = results.filter((r) => r.errors);
  return { created, refused };
}

describe('createOrder under load, one pool', () => {
  it(
    `gives ${WALLETS} concurrent calls ${WALLETS} orders on ${WALLETS} distinct wallets, with no duplicate`,
    async () => {
      const { site, sale } = await openPool('load-exact');
      const results = await createAtOnce(site, sale, WALLETS);

      const { created, refused } = split(results);
      expect(refused.map((r) => r.errors)).toEqual([]);
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(created).toHaveLength(WALLETS);
      expect(created.every((o) => o.status === 'PENDING')).toBe(true);
      expect(new Set(created.map((o) => o.id)).size).toBe(WALLETS);
      expect(new Set(created.map((o) => o.payToAddress)).size).toBe(WALLETS);

      const state = await siteState(site.siteId);
      expect(state.orders).toEqual({ n: WALLETS, addresses: WALLETS, wallets: WALLETS });
      expect(state.held).toBe(WALLETS);
      expect(state.wallets).toEqual([{ status: 'ALLOCATED', n: WALLETS }]);
      expect(new Set(state.orderIds)).toEqual(new Set(created.map((o) => o.id)));
      expect(state.audited).toHaveLength(WALLETS);
      expect(state.audited.every((a) => a.action === 'order.created')).toBe(true);
      expect(new Set(state.audited.map((a) => a.target_id))).toEqual(new Set(created.map((o) => o.id)));
      expect(t.logs.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    },
    60_000,
  );

  it(
    `gives ${WALLETS + 100} concurrent calls on ${WALLETS} wallets ${WALLETS} orders and 100 clean POOL_EXHAUSTED conflicts that leave nothing behind`,
    async () => {
      const { site, sale } = await openPool('load-over');
      const results = await createAtOnce(site, sale, WALLETS + 100);

      const { created, refused } = split(results);
      expect(created).toHaveLength(WALLETS);
      expect(refused).toHaveLength(100);
      expect(new Set(created.map((o) => o.payToAddress)).size).toBe(WALLETS);
      // A clean refusal: one error, CONFLICT with its reason, the network it ran out on, no data and
      // nothing internal (no SQL, no stack).
      for (const r of refused) {
        expect(r.status).toBe(200);
        expect(r.data).toBeNull();
        expect(r.errors).toHaveLength(1);
        expect(r.errors![0]).toEqual({
          message: 'Deposit wallet pool exhausted: no AVAILABLE ETHEREUM wallet',
          path: ['createOrder'],
          locations: expect.any(Array),
          extensions: { code: 'CONFLICT', reason: 'POOL_EXHAUSTED', network: 'ETHEREUM' },
        });
      }

      const state = await siteState(site.siteId);
      expect(state.orders).toEqual({ n: WALLETS, addresses: WALLETS, wallets: WALLETS });
      expect(state.held).toBe(WALLETS);
      expect(state.wallets).toEqual([{ status: 'ALLOCATED', n: WALLETS }]);
      // No order row and no audit entry for a refused call: exactly the created orders are there.
      expect(new Set(state.orderIds)).toEqual(new Set(created.map((o) => o.id)));
      expect(state.audited).toHaveLength(WALLETS);
      expect(new Set(state.audited.map((a) => a.target_id))).toEqual(new Set(created.map((o) => o.id)));
      expect(t.logs.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    },
    60_000,
  );
});
