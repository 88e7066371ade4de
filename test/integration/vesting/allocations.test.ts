import { RELEASES_CHANGED } from '../../../src/services/vesting/release-events.js';
import { unlockDueReleases } from '../../../src/services/vesting/unlock-releases.js';
import { statementsDuring } from '../../support/count-queries.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { subscribeWs } from '../../support/ws-client.js';

const ALLOCATION_FIELDS = `id status payoutNetwork payoutAddress totalAmount releasedAmount claimableAmount lockedAmount startAt
  asset { symbol decimals purpose } plan { id name } beneficiary { email } order { id status }
  releases { index amount unlockAt status externalTxId }`;
type Release = { index: number; amount: string; unlockAt: string; status: string; externalTxId: string };
type Allocation = { id: string; status: string; totalAmount: string; claimableAmount: string; lockedAmount: string; releasedAmount: string; startAt: string; releases: Release[]; order: { id: string } | null };

describe('allocations and vesting schedules', () => {
  let t: TestApp;
  let site: SiteFixture;
  let other: SiteFixture;
  let sale: Sale;
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);

  /** An order of `amount` USDT (tokens at 0.05), made PAID by the site admin. */
  const paidOrder = async (amount: string, token = site.customerToken): Promise<{ id: string; paidAt: string }> => {
    const r = await t.gql<{ createOrder: { id: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }', { i: { network: 'ETHEREUM', amount, payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token });
    const id = r.data!.createOrder.id;
    const c = await t.gql<{ confirmOrderManually: { paidAt: string } }>('mutation($id: ID!) { confirmOrderManually(id: $id, reason: "test") { paidAt } }', { id }, { token: site.adminToken });
    if (!c.data) throw new Error(JSON.stringify(c.errors));
    return { id, paidAt: c.data.confirmOrderManually.paidAt };
  };
  const allocationOf = async (orderId: string, token = site.adminToken) =>
    (await t.gql<{ order: { allocation: Allocation | null } | null }>(`query($id: ID!) { order(id: $id) { allocation { ${ALLOCATION_FIELDS} } } }`, { id: orderId }, { token })).data!.order?.allocation ?? null;

  beforeAll(async () => {
    t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0' }, { argv: ['--role=api'] });
    site = await createSiteFixture(t, 'vesting');
    other = await createSiteFixture(t, 'vesting-other');
    sale = await openSale(t, site, { wallets: 40, slug: 'vesting' });
  }, 60_000);
  afterAll(() => t.stop());

  it('gives a PAID order exactly one allocation: its tokens on the plan (10% TGE, 90-day cliff, 12 x 30 days) from the payment time, audited', async () => {
    // 100.000005 USDT at 0.05 = 2000.0001 tokens
    const order = await paidOrder('100.000005');
    const a = (await allocationOf(order.id))!;
    expect(a).toMatchObject({ status: 'ACTIVE', totalAmount: '2000.0001', releasedAmount: '0', claimableAmount: '0', lockedAmount: '2000.0001', startAt: order.paidAt, order: { id: order.id } });
    expect(a.releases.map((r) => r.amount)).toEqual(['200.00001', ...Array(11).fill('150.000007500000000000'.replace(/0+$/, '')), '150.0000075']);
    const start = new Date(order.paidAt).getTime();
    expect(a.releases.map((r) => (new Date(r.unlockAt).getTime() - start) / 86_400_000)).toEqual([0, ...Array.from({ length: 12 }, (_, k) => 90 + (k + 1) * 30)]);
    expect(a.releases.every((r) => r.status === 'LOCKED' && /^vl-rel-[0-9a-f]{32}$/.test(r.externalTxId))).toBe(true);
    const [sum] = await sql<{ s: string; n: number }>('select sum(amount)::text as s, count(*)::int as n from vesting_release where allocation_id = ?', [a.id]);
    expect(sum).toEqual({ s: '2000000100000000000000', n: 13 });
    expect(await sql('select action from audit_entry where target_id = ?', [a.id])).toEqual([{ action: 'allocation.created' }]);
  });

  it("starts vesting at the site's TGE date when one is set", async () => {
    await t.gql('mutation { updateSiteSettings(input: { tgeAt: "2027-03-01T00:00:00.000Z" }) { id } }', {}, { token: site.adminToken });
    try {
      const order = await paidOrder('10');
      const a = (await allocationOf(order.id))!;
      expect(a.startAt).toBe('2027-03-01T00:00:00.000Z');
      expect(a.releases[0]!.unlockAt).toBe('2027-03-01T00:00:00.000Z');
    } finally {
      await t.gql('mutation { updateSiteSettings(input: { tgeAt: null }) { id } }', {}, { token: site.adminToken });
    }
  });

  it('never makes a second allocation: a lost PAID race, and a failed allocation that takes the PAID transition down with it', async () => {
    const r = await t.gql<{ createOrder: { id: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }', { i: { network: 'ETHEREUM', amount: '20', payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken });
    const id = r.data!.createOrder.id;
    // A failure inside the allocation (the database refuses its releases) rolls back the PAID transition too.
    await sql(`create or replace function refuse_release() returns trigger as $$ begin raise exception 'simulated crash'; end; $$ language plpgsql`);
    await sql('create trigger refuse_release before insert on vesting_release for each row execute function refuse_release()');
    try {
      const failed = await t.gql('mutation($id: ID!) { confirmOrderManually(id: $id, reason: "x") { status } }', { id }, { token: site.adminToken });
      expect(failed.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await sql('drop trigger refuse_release on vesting_release');
    }
    expect(await sql('select status from payment_order where id = ?', [id])).toEqual([{ status: 'PENDING' }]);
    expect(await sql('select count(*)::int as n from allocation where order_id = ?', [id])).toEqual([{ n: 0 }]);
    // Recovery: the same operation again, twice at once; one wins, and the order has one allocation.
    const results = await Promise.all([1, 2].map(() => t.gql('mutation($id: ID!) { confirmOrderManually(id: $id, reason: "x") { status } }', { id }, { token: site.adminToken })));
    expect(results.filter((x) => !x.errors)).toHaveLength(1);
    expect(await sql('select count(*)::int as n from allocation where order_id = ?', [id])).toEqual([{ n: 1 }]);
  });

  it('shows a customer its own allocations only; another site sees none', async () => {
    const mine = await paidOrder('11');
    const theirs = await paidOrder('12', sale.otherCustomerToken);
    const ids = async (token: string) => (await t.gql<{ allocations: { edges: { node: { id: string; order: { id: string } } }[] } }>('{ allocations(first: 100) { edges { node { id order { id } } } } }', {}, { token })).data!.allocations.edges.map((e) => e.node.order.id);
    expect(await ids(site.customerToken)).toContain(mine.id);
    expect(await ids(site.customerToken)).not.toContain(theirs.id);
    expect(await ids(site.operatorToken)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect(await ids(other.adminToken)).toEqual([]);
    const theirAllocation = (await allocationOf(theirs.id))!;
    expect((await t.gql<{ allocation: unknown }>('query($id: ID!) { allocation(id: $id) { id } }', { id: theirAllocation.id }, { token: site.customerToken })).data!.allocation).toBeNull();
    expect((await t.gql<{ allocation: unknown }>('query($id: ID!) { allocation(id: $id) { id } }', { id: theirAllocation.id }, { token: other.adminToken })).data!.allocation).toBeNull();
    const releases = await t.gql<{ releases: { edges: { node: { allocation: { id: string } } }[] } }>('{ releases(first: 100) { edges { node { allocation { id } } } } }', {}, { token: site.customerToken });
    expect(releases.data!.releases.edges.every((e) => e.node.allocation.id !== theirAllocation.id)).toBe(true);
  });

  it('reads 50 allocations with their releases, beneficiaries and orders in a fixed number of statements', async () => {
    while ((await sql<{ n: number }>('select count(*)::int as n from allocation where site_id = ?', [site.siteId]))[0]!.n < 25) await paidOrder('10');
    // What a vesting page shows, within the default query cost limit (5000).
    const query = `{ allocations(first: 50) { edges { node { id status totalAmount claimableAmount lockedAmount startAt
      beneficiary { email } order { reference } releases { index amount unlockAt status } } } } }`;
    let rows = 0;
    const statements = await statementsDuring(t.app, async () => {
      const r = await t.gql<{ allocations: { edges: unknown[] } }>(query, {}, { token: site.adminToken });
      if (!r.data) throw new Error(JSON.stringify(r.errors));
      rows = r.data.allocations.edges.length;
    });
    expect(rows).toBeGreaterThanOrEqual(25);
    // authentication, the page, then one batch each for releases, beneficiaries and orders: never one per row
    expect(statements.length).toBeLessThanOrEqual(5);
  });

  it('unlocks due releases: claimable and locked amounts follow, and staff receive releaseUpdated', async () => {
    const order = await paidOrder('10');
    const a = (await allocationOf(order.id))!;
    const sub = await subscribeWs(t.app.graphqlUrl, { authorization: `Bearer ${site.operatorToken}` }, 'subscription { releaseUpdated { id status amount allocation { id } } }');
    await new Promise((r) => setTimeout(r, 300));
    // The TGE release is due now.
    expect(await unlockDueReleases(t.app.deps, new Date(), new Date(Date.now() + 5000))).toBeGreaterThanOrEqual(1);
    const event = (await sub.next()).data as { releaseUpdated: { status: string; allocation: { id: string } } };
    expect(event.releaseUpdated.status).toBe('UNLOCKED');
    sub.close();
    const after = (await allocationOf(order.id))!;
    expect(after).toMatchObject({ claimableAmount: '20', lockedAmount: '180' });
    expect(after.releases[0]!.status).toBe('UNLOCKED');
    expect(a.releases[0]!.status).toBe('LOCKED');
  });

  it('revokes: LOCKED and UNLOCKED releases are cancelled (and no longer shown), processed ones stay; twice is a CONFLICT, a COMPLETED one too', async () => {
    const order = await paidOrder('10');
    const a = (await allocationOf(order.id))!;
    await sql(`update vesting_release set status = 'RELEASED' where allocation_id = ? and index = 1`, [a.id]);
    await sql(`update vesting_release set status = 'PROCESSING' where allocation_id = ? and index = 2`, [a.id]);
    await sql(`update vesting_release set status = 'UNLOCKED' where allocation_id = ? and index = 0`, [a.id]);
    const revoke = 'mutation($id: ID!, $r: String!) { revokeAllocation(id: $id, reason: $r) { id status claimableAmount lockedAmount releases { index status } } }';
    expect((await t.gql(revoke, { id: a.id, r: 'x' }, { token: site.operatorToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(revoke, { id: a.id, r: ' ' }, { token: site.adminToken })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const r = await t.gql<{ revokeAllocation: { status: string; claimableAmount: string; lockedAmount: string; releases: { index: number; status: string }[] } }>(revoke, { id: a.id, r: 'fraud' }, { token: site.adminToken });
    expect(r.data!.revokeAllocation).toMatchObject({ status: 'REVOKED', lockedAmount: '0', claimableAmount: '15' });
    expect(r.data!.revokeAllocation.releases).toEqual([
      { index: 1, status: 'RELEASED' },
      { index: 2, status: 'PROCESSING' },
    ]);
    expect(await sql(`select count(*)::int as n from vesting_release where allocation_id = ? and status = 'CANCELLED'`, [a.id])).toEqual([{ n: 11 }]);
    const [audit] = await sql<{ details: Record<string, unknown> }>(`select details from audit_entry where target_id = ? and action = 'allocation.revoked'`, [a.id]);
    expect(audit!.details).toMatchObject({ reason: 'fraud', cancelledReleases: 11 });
    expect((await t.gql(revoke, { id: a.id, r: 'again' }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALLOCATION_STATUS_CONFLICT' });

    const done = (await allocationOf((await paidOrder('10')).id))!;
    await sql(`update allocation set status = 'COMPLETED' where id = ?`, [done.id]);
    const before = await sql('select status from vesting_release where allocation_id = ? order by index', [done.id]);
    expect((await t.gql(revoke, { id: done.id, r: 'x' }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALLOCATION_STATUS_CONFLICT' });
    expect(await sql('select status from vesting_release where allocation_id = ? order by index', [done.id])).toEqual(before);
    expect((await t.gql(revoke, { id: done.id, r: 'x' }, { token: other.adminToken })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('unlocks 10,000 due releases once with two unlock runs at once, each release in exactly one event', async () => {
    const order = await paidOrder('10');
    const a = (await allocationOf(order.id))!;
    // Whatever was already due (the TGE releases of earlier tests) first, so only the bulk rows remain.
    await unlockDueReleases(t.app.deps, new Date(), new Date(Date.now() + 60_000));
    await sql(
      `insert into vesting_release (id, site_id, allocation_id, index, amount, unlock_at, status, external_tx_id, created_at, updated_at)
       select gen_random_uuid(), ?, ?, 100 + g, 1, now() - interval '1 hour', 'LOCKED', 'bulk-' || g, now(), now() from generate_series(1, 10000) g`,
      [site.siteId, a.id],
    );
    const seen: string[] = [];
    const events = t.app.deps.events.subscribe(RELEASES_CHANGED, site.siteId)[Symbol.asyncIterator]();
    const collecting = (async () => {
      while (seen.length < 10_000) {
        const e = await events.next();
        if (e.done) break;
        seen.push(...(e.value as { releaseIds: string[] }).releaseIds);
      }
    })();
    const runs = await Promise.all([1, 2].map(() => unlockDueReleases(t.app.deps, new Date(), new Date(Date.now() + 60_000))));
    expect(runs[0]! + runs[1]!).toBe(10_000);
    await Promise.race([collecting, new Promise((r) => setTimeout(r, 5000))]);
    await events.return?.();
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    expect(await sql(`select count(*)::int as n from vesting_release where allocation_id = ? and status = 'UNLOCKED'`, [a.id])).toEqual([{ n: 10_001 }]);
  }, 60_000);
});
