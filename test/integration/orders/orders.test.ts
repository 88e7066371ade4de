import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { ETH_PAYOUT, openSale, TRON_PAYOUT, type Sale } from '../../support/sale.js';

const CREATE = `mutation($i: CreateOrderInput!) { createOrder(input: $i) {
  id reference status network payToAddress amountExpected amountReceived amountOverpaid tokenAmount confirmations confirmationsRequired
  expiresAt paidAt createdAt asset { id symbol decimals purpose } customer { id email } transfers { id } } }`;
const ORDER = 'query($id: ID!) { order(id: $id) { id status reference payToAddress customer { email } } }';
const ORDERS = 'query($f: OrderFilter, $first: Int, $after: String) { orders(filter: $f, first: $first, after: $after) { edges { node { id status reference } cursor } pageInfo { hasNextPage endCursor } totalCount } }';
const CANCEL = 'mutation($id: ID!, $r: String) { cancelOrder(id: $id, reason: $r) { id status } }';
const CONFIRM = 'mutation($id: ID!, $r: String!) { confirmOrderManually(id: $id, reason: $r) { id status paidAt } }';

type Order = { id: string; reference: string; status: string; payToAddress: string; amountExpected: string; tokenAmount: string; expiresAt: string; createdAt: string };

describe('payment orders', () => {
  let t: TestApp;
  let site: SiteFixture;
  let other: SiteFixture;
  let sale: Sale;
  let otherSale: Sale;
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);
  const counts = async () => (await sql<{ o: number; a: number; w: number }>(`select (select count(*)::int from payment_order) as o, (select count(*)::int from audit_entry) as a, (select count(*)::int from wallet where status = 'ALLOCATED') as w`))[0]!;
  const input = (over: Record<string, unknown> = {}) => ({ network: 'ETHEREUM', amount: '100', payoutAddress: ETH_PAYOUT, planId: sale.planId, ...over });
  const create = (over: Record<string, unknown> = {}, opts: { token?: string; key?: string } = {}) =>
    t.gql<{ createOrder: Order }>(CREATE, { i: input(over) }, { token: opts.token ?? site.customerToken, headers: opts.key ? { 'idempotency-key': opts.key } : {} });

  beforeAll(async () => {
    t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0' });
    site = await createSiteFixture(t, 'orders');
    other = await createSiteFixture(t, 'orders-other');
    sale = await openSale(t, site, { wallets: 30, slug: 'orders' });
    otherSale = await openSale(t, other, { wallets: 2, slug: 'orders-other' });
  }, 60_000);
  afterAll(() => t.stop());

  it('creates an order: a pool wallet, the expected amount, tokens by the exact price, expiry from the site TTL, audited', async () => {
    const r = await create({ amount: '100.5' });
    expect(r.errors).toBeUndefined();
    const o = r.data!.createOrder as Order & Record<string, unknown>;
    expect(o).toMatchObject({
      status: 'PENDING',
      network: 'ETHEREUM',
      amountExpected: '100.5',
      amountReceived: '0',
      amountOverpaid: '0',
      // 100.5 / 0.05 = 2010 tokens, exactly
      tokenAmount: '2010',
      confirmations: 0,
      confirmationsRequired: 12,
      paidAt: null,
      asset: { id: sale.paymentAssetId, symbol: 'USDT', decimals: 6, purpose: 'PAYMENT' },
      customer: { email: 'customer@orders.test' },
      transfers: [],
    });
    expect(o.reference).toMatch(/^VL-[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(new Date(o.expiresAt).getTime() - new Date(o.createdAt).getTime()).toBe(30 * 60_000);
    const [wallet] = await sql<{ status: string; current_order_id: string; address: string }>('select status, current_order_id, address from wallet where address = ?', [o.payToAddress]);
    expect(wallet).toEqual({ status: 'ALLOCATED', current_order_id: o.id, address: o.payToAddress });
    const [row] = await sql<{ token_price: string; payout_address: string; plan_id: string }>('select token_price, payout_address, plan_id from payment_order where id = ?', [o.id]);
    expect(row).toEqual({ token_price: '0.050000000000000000', payout_address: ETH_PAYOUT, plan_id: sale.planId });
    expect(await sql(`select action from audit_entry where target_id = ?`, [o.id])).toEqual([{ action: 'order.created' }]);
  });

  it('rounds tokens down, never up', async () => {
    // 10.000001 / 0.05 = 200.00002 tokens: exact at 18 decimals
    expect((await create({ amount: '10.000001' })).data!.createOrder.tokenAmount).toBe('200.00002');
  });

  it.each([
    ['amount 0', { amount: '0' }, 'amount'],
    ['a negative amount', { amount: '-5' }, 'amount'],
    ['an exponent', { amount: '1e6' }, 'amount'],
    ['too many decimals for the asset', { amount: '10.0000001' }, 'amount'],
    ['an amount below the site minimum', { amount: '9.99' }, 'amount'],
    ['an amount above the site maximum', { amount: '100000.01' }, 'amount'],
    ['a payout address on a network the site pays out nothing on', { payoutAddress: TRON_PAYOUT }, 'payoutAddress'],
    ['a malformed payout address', { payoutAddress: '0x1234' }, 'payoutAddress'],
    ['a payout address with a bad checksum', { payoutAddress: '0x70997970c51812dc3A010C7d01b50e0d17dc79C8' }, 'payoutAddress'],
    ['an unknown plan', { planId: '6f1c1f3e-8a43-4c43-9a36-3f0c7d0b9b11' }, 'planId'],
    ['a plan id that is no uuid', { planId: 'plan-1' }, 'planId'],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, over, field) => {
    const before = await counts();
    const r = await create(over);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    // A field the service checks is named in extensions; the Decimal scalar names it in the message.
    expect(JSON.stringify(r.errors?.[0])).toContain(field);
    expect(await counts()).toEqual(before);
  });

  it("refuses another site's plan as unknown", async () => {
    const before = await counts();
    const r = await create({ planId: otherSale.planId });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'planId' });
    expect(await counts()).toEqual(before);
  });

  it('refuses a network the site takes no payment on with CONFLICT', async () => {
    const r = await create({ network: 'TRON' });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SALE_NOT_OPEN' });
  });

  it('lets only customers create orders', async () => {
    for (const token of [site.adminToken, site.operatorToken]) expect((await create({}, { token })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CREATE, { i: input() })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('returns the same order for the same Idempotency-Key and body, refuses the key with another body, and never makes two under concurrency', async () => {
    const first = await create({ amount: '20' }, { key: 'order-key-1' });
    const again = await create({ amount: '20' }, { key: 'order-key-1' });
    expect(again.data!.createOrder.id).toBe(first.data!.createOrder.id);
    const changed = await create({ amount: '21' }, { key: 'order-key-1' });
    expect(changed.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' });
    // The key is the customer's own: another customer's same key is another order.
    const theirs = await create({ amount: '20' }, { key: 'order-key-1', token: sale.otherCustomerToken });
    expect(theirs.data!.createOrder.id).not.toBe(first.data!.createOrder.id);

    const before = await counts();
    const racing = await Promise.all(Array.from({ length: 10 }, () => create({ amount: '30' }, { key: 'order-key-race' })));
    expect(racing.map((r) => r.errors)).toEqual(Array(10).fill(undefined));
    expect(new Set(racing.map((r) => r.data!.createOrder.id)).size).toBe(1);
    expect((await counts()).o).toBe(before.o + 1);
    expect((await counts()).w).toBe(before.w + 1);
  });

  it('frees a key after 24 hours: the same key then makes a new order', async () => {
    const first = await create({ amount: '40' }, { key: 'order-key-old' });
    await sql(`update payment_order set created_at = now() - interval '25 hours' where id = ?`, [first.data!.createOrder.id]);
    const later = await create({ amount: '40' }, { key: 'order-key-old' });
    expect(later.data!.createOrder.id).not.toBe(first.data!.createOrder.id);
  });

  it('replays a keyed order even after the sale terms changed, and applies new terms to a new key', async () => {
    const first = await create({ amount: '500' }, { key: 'order-key-terms' });
    const admin = { token: site.adminToken };
    await t.gql('mutation { updateSiteSettings(input: { maxOrderAmount: "400" }) { id } }', {}, admin);
    try {
      expect((await create({ amount: '500' }, { key: 'order-key-terms' })).data!.createOrder.id).toBe(first.data!.createOrder.id);
      expect((await create({ amount: '500' }, { key: 'order-key-terms-2' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount' });
    } finally {
      await t.gql('mutation { updateSiteSettings(input: { maxOrderAmount: "100000" }) { id } }', {}, admin);
    }
  });

  it('checks the order limits exactly for a payment asset with more than 18 decimals', async () => {
    const wide = await createSiteFixture(t, 'orders-wide');
    const admin = { token: wide.adminToken };
    const plan = await openSale(t, wide, { wallets: 2, slug: 'orders-wide', confirmations: 1 });
    // Orders pay in the oldest active PAYMENT asset: deactivate the 6-decimal one, add a 24-decimal one.
    await t.gql('mutation($i:AssetInput!){upsertAsset(input:$i){id}}', { i: { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: '0xdAC17F958D2ee523a2206206994597C13D831ec7', purpose: 'PAYMENT', confirmationsRequired: 1, active: false } }, admin);
    await t.gql('mutation($i:AssetInput!){upsertAsset(input:$i){id}}', { i: { network: 'ETHEREUM', symbol: 'WIDE', decimals: 24, contractAddress: '0x00000000000000000000000000000000000000aa', purpose: 'PAYMENT', confirmationsRequired: 1, active: true } }, admin);
    const order = (amount: string) => t.gql<{ createOrder: { amountExpected: string } }>(CREATE, { i: { network: 'ETHEREUM', amount, payoutAddress: ETH_PAYOUT, planId: plan.planId } }, { token: wide.customerToken });
    expect((await order('10.000000000000000000000001')).data!.createOrder.amountExpected).toBe('10.000000000000000000000001');
    expect((await order('9.999999999999999999999999')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount' });
    expect((await order('100000.000000000000000000000001')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount' });
  });

  it('refuses a malformed Idempotency-Key', async () => {
    const r = await create({}, { key: 'x'.repeat(256) });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it("shows a customer its own orders only; staff see the site's; another site sees none", async () => {
    const mine = (await create({ amount: '11' })).data!.createOrder;
    const theirs = (await create({ amount: '12' }, { token: sale.otherCustomerToken })).data!.createOrder;
    const ids = async (token: string, f: Record<string, unknown> = {}) =>
      (await t.gql<{ orders: { edges: { node: { id: string } }[] } }>(ORDERS, { f, first: 100 }, { token })).data!.orders.edges.map((e) => e.node.id);
    expect(await ids(site.customerToken)).toContain(mine.id);
    expect(await ids(site.customerToken)).not.toContain(theirs.id);
    expect(await ids(site.operatorToken)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect(await ids(other.adminToken)).toEqual([]);
    expect((await t.gql<{ order: unknown }>(ORDER, { id: theirs.id }, { token: site.customerToken })).data!.order).toBeNull();
    expect((await t.gql<{ order: unknown }>(ORDER, { id: mine.id }, { token: other.adminToken })).data!.order).toBeNull();
    expect((await t.gql<{ order: { id: string } }>(ORDER, { id: mine.id }, { token: site.adminToken })).data!.order.id).toBe(mine.id);
    // Filters: exact reference, exact pay-to address, status.
    expect(await ids(site.adminToken, { search: mine.reference })).toEqual([mine.id]);
    expect(await ids(site.adminToken, { search: mine.payToAddress })).toEqual([mine.id]);
    expect(await ids(site.adminToken, { status: ['PAID'] })).toEqual([]);
  });

  it('pages newest first with a stable cursor', async () => {
    const all = (await t.gql<{ orders: { edges: { node: { id: string } }[]; totalCount: number } }>(ORDERS, { first: 100 }, { token: site.adminToken })).data!.orders;
    const p1 = (await t.gql<{ orders: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string; hasNextPage: boolean } } }>(ORDERS, { first: 3 }, { token: site.adminToken })).data!.orders;
    const p2 = (await t.gql<{ orders: { edges: { node: { id: string } }[] } }>(ORDERS, { first: 3, after: p1.pageInfo.endCursor }, { token: site.adminToken })).data!.orders;
    expect(p1.pageInfo.hasNextPage).toBe(true);
    expect([...p1.edges, ...p2.edges].map((e) => e.node.id)).toEqual(all.edges.slice(0, 6).map((e) => e.node.id));
    expect(all.totalCount).toBe(all.edges.length);
  });

  describe('cancel and manual confirmation', () => {
    it('lets a customer cancel its own PENDING order: CANCELLED, wallet cooling down, audited with the reason', async () => {
      const o = (await create({ amount: '15' })).data!.createOrder;
      const r = await t.gql<{ cancelOrder: { status: string } }>(CANCEL, { id: o.id, r: 'changed my mind' }, { token: site.customerToken });
      expect(r.data!.cancelOrder.status).toBe('CANCELLED');
      expect(await sql('select status, current_order_id from wallet where address = ?', [o.payToAddress])).toEqual([{ status: 'COOLING_DOWN', current_order_id: null }]);
      const [audit] = await sql<{ details: Record<string, unknown> }>(`select details from audit_entry where target_id = ? and action = 'order.cancelled'`, [o.id]);
      expect(audit!.details).toMatchObject({ from: 'PENDING', to: 'CANCELLED', reason: 'changed my mind' });
      // Cancelling again: the order is no longer PENDING.
      expect((await t.gql(CANCEL, { id: o.id }, { token: site.customerToken })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ORDER_STATUS_CONFLICT' });
    });

    it("treats another customer's order, and another site's, as missing", async () => {
      const o = (await create({ amount: '16' })).data!.createOrder;
      const before = await counts();
      expect((await t.gql(CANCEL, { id: o.id }, { token: sale.otherCustomerToken })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await t.gql(CANCEL, { id: o.id }, { token: other.adminToken })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await t.gql(CONFIRM, { id: o.id, r: 'x' }, { token: other.adminToken })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(await counts()).toEqual(before);
      expect((await t.gql<{ order: { status: string } }>(ORDER, { id: o.id }, { token: site.customerToken })).data!.order.status).toBe('PENDING');
    });

    it('lets the SITE_ADMIN confirm by hand with a reason: PAID, paidAt set, wallet released, audited; cancelling a PAID order is a CONFLICT', async () => {
      const o = (await create({ amount: '17' })).data!.createOrder;
      expect((await t.gql(CONFIRM, { id: o.id, r: 'x' }, { token: site.operatorToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await t.gql(CONFIRM, { id: o.id, r: '   ' }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
      const r = await t.gql<{ confirmOrderManually: { status: string; paidAt: string } }>(CONFIRM, { id: o.id, r: 'bank statement checked' }, { token: site.adminToken });
      expect(r.data!.confirmOrderManually.status).toBe('PAID');
      expect(r.data!.confirmOrderManually.paidAt).not.toBeNull();
      expect(await sql('select status from wallet where address = ?', [o.payToAddress])).toEqual([{ status: 'COOLING_DOWN' }]);
      const [audit] = await sql<{ details: Record<string, unknown> }>(`select details from audit_entry where target_id = ? and action = 'order.confirmed_manually'`, [o.id]);
      expect(audit!.details).toMatchObject({ from: 'PENDING', to: 'PAID', reason: 'bank statement checked', amountReceived: '0' });
      const before = await counts();
      expect((await t.gql(CANCEL, { id: o.id }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ORDER_STATUS_CONFLICT' });
      expect((await t.gql(CONFIRM, { id: o.id, r: 'again' }, { token: site.adminToken })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(await counts()).toEqual(before);
    });

    it('lets exactly one of a concurrent cancel and confirm win', async () => {
      for (let i = 0; i < 5; i++) {
        const o = (await create({ amount: '18' })).data!.createOrder;
        const [c, p] = await Promise.all([t.gql(CANCEL, { id: o.id }, { token: site.operatorToken }), t.gql(CONFIRM, { id: o.id, r: 'race' }, { token: site.adminToken })]);
        expect([c.errors, p.errors].filter((e) => e === undefined)).toHaveLength(1);
        const [row] = await sql<{ n: number }>(`select count(*)::int as n from audit_entry where target_id = ? and action in ('order.cancelled', 'order.confirmed_manually')`, [o.id]);
        expect(row!.n).toBe(1);
      }
    });
  });

  it("shows a wallet's current order to staff", async () => {
    const o = (await create({ amount: '19' })).data!.createOrder;
    const r = await t.gql<{ wallets: { edges: { node: { address: string; currentOrder: { id: string } | null } }[] } }>(
      '{ wallets(first: 100) { edges { node { address status currentOrder { id reference } } } } }',
      {},
      { token: site.adminToken },
    );
    const w = r.data!.wallets.edges.find((e) => e.node.address === o.payToAddress)!;
    expect(w.node.currentOrder?.id).toBe(o.id);
    expect(r.data!.wallets.edges.filter((e) => e.node.currentOrder).length).toBe((await counts()).w - 0 - (await sql<{ n: number }>(`select count(*)::int as n from wallet w join site s on s.id = w.site_id where s.slug <> 'orders' and w.status = 'ALLOCATED'`))[0]!.n);
  });
});
