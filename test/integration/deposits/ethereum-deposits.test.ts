import { expireOrders } from '../../../src/services/orders/expire-orders.js';
import { startAnvil, type Anvil, type DeployedToken } from '../../support/anvil.js';
import { startRpcProxy, type RpcProxy } from '../../support/rpc-proxy.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { subscribeWs } from '../../support/ws-client.js';

/** Confirmations the test asset requires: small, so tests mine few blocks. */
const REQUIRED = 3;
const USDT = (whole: number) => BigInt(Math.round(whole * 1e6));
const ORDER_FIELDS = 'id status amountReceived amountOverpaid confirmations confirmationsRequired paidAt transfers { txHash logIndex amount confirmations fromAddress toAddress blockNumber }';

type Order = { id: string; status: string; amountReceived: string; amountOverpaid: string; confirmations: number; paidAt: string | null; payToAddress: string; transfers: { txHash: string; amount: string; confirmations: number }[] };

describe('Ethereum deposits (anvil)', () => {
  let anvil: Anvil;
  let token: DeployedToken;
  let rpc: RpcProxy;
  let t: TestApp;
  let site: SiteFixture;
  let sale: Sale;
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);

  const createOrder = async (amount: string): Promise<Order> => {
    const r = await t.gql<{ createOrder: Order }>(
      `mutation($i: CreateOrderInput!) { createOrder(input: $i) { ${ORDER_FIELDS} payToAddress } }`,
      { i: { network: 'ETHEREUM', amount, payoutAddress: ETH_PAYOUT, planId: sale.planId } },
      { token: site.customerToken },
    );
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data.createOrder;
  };
  const readOrder = async (id: string): Promise<Order> =>
    (await t.gql<{ order: Order }>(`query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} payToAddress } }`, { id }, { token: site.adminToken })).data!.order;
  /** Polls until `check` holds for the order (the watcher runs every 100 ms here), up to 10 s. */
  const until = async (id: string, check: (o: Order) => boolean, what: string): Promise<Order> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const o = await readOrder(id);
      if (check(o)) return o;
      if (Date.now() > deadline) throw new Error(`order never ${what}: ${JSON.stringify(o)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    token = await anvil.deployToken({ name: 'Tether USD', symbol: 'USDT', decimals: 6 });
    await anvil.mint(token, anvil.deployer.address, USDT(1_000_000));
    rpc = await startRpcProxy(anvil.url);
    t = await startTestApp({ ETH_RPC_URL: rpc.url, DEPOSIT_POLL_INTERVAL_MS: '200', WALLET_POOL_MIN_AVAILABLE: '0', CHAIN_READ_TIMEOUT_MS: '1000' });
    site = await createSiteFixture(t, 'eth-deposits');
    sale = await openSale(t, site, { wallets: 20, slug: 'eth-deposits', paymentContract: token.address, confirmations: REQUIRED });
  }, 60_000);
  afterAll(async () => {
    if (process.env.DEBUG_WATCHER) console.log(t.logs.filter((l) => /watcher|deposit/.test(l)).slice(-40).join(''));
    await t?.stop();
    await rpc?.close();
    await anvil?.stop();
  });

  it('takes an order PENDING -> CONFIRMING -> PAID as confirmations come, live in a subscription; the wallet then cools down', async () => {
    const order = await createOrder('100');
    const sub = await subscribeWs(t.app.graphqlUrl, { authorization: `Bearer ${site.customerToken}` }, `subscription($id: ID!) { orderUpdated(id: $id) { ${ORDER_FIELDS} } }`, { id: order.id });
    // Let the subscription settle before paying (its permission check and lookup are asynchronous).
    await new Promise((r) => setTimeout(r, 300));
    const receipt = await anvil.transfer(token, order.payToAddress, USDT(100));
    const confirming = await until(order.id, (o) => o.status === 'CONFIRMING', 'went CONFIRMING');
    expect(confirming).toMatchObject({ amountReceived: '100', paidAt: null });
    expect(confirming.transfers).toEqual([expect.objectContaining({ txHash: receipt.hash.toLowerCase(), amount: '100' })]);
    await anvil.mine(REQUIRED - 1);
    const paid = await until(order.id, (o) => o.status === 'PAID', 'went PAID');
    expect(paid).toMatchObject({ amountReceived: '100', amountOverpaid: '0', confirmations: REQUIRED });
    expect(paid.paidAt).not.toBeNull();

    const seen: string[] = [];
    while (!seen.includes('PAID')) seen.push(((await sub.next()).data as { orderUpdated: Order }).orderUpdated.status);
    expect(seen[0]).toBe('CONFIRMING');
    expect(seen.at(-1)).toBe('PAID');
    sub.close();
    expect(await sql('select status, current_order_id from wallet where address = ?', [order.payToAddress])).toEqual([{ status: 'COOLING_DOWN', current_order_id: null }]);
    const actions = (await sql<{ action: string }>('select action from audit_entry where target_id = ? order by at', [order.id])).map((a) => a.action);
    expect(actions).toEqual(['order.created', 'order.confirming', 'order.paid']);
  });

  it('sums partial payments, and keeps an overpayment', async () => {
    const partial = await createOrder('100');
    await anvil.transfer(token, partial.payToAddress, USDT(40));
    await anvil.transfer(token, partial.payToAddress, USDT(60));
    await anvil.mine(REQUIRED);
    const paid = await until(partial.id, (o) => o.status === 'PAID', 'went PAID');
    expect(paid.amountReceived).toBe('100');
    expect(paid.transfers.map((x) => x.amount)).toEqual(['40', '60']);

    const over = await createOrder('100');
    await anvil.transfer(token, over.payToAddress, USDT(150.5));
    await anvil.mine(REQUIRED);
    expect(await until(over.id, (o) => o.status === 'PAID', 'went PAID')).toMatchObject({ amountReceived: '150.5', amountOverpaid: '50.5' });
  });

  it('ends a short order UNDERPAID at expiry once everything seen is confirmed', async () => {
    const order = await createOrder('100');
    await anvil.transfer(token, order.payToAddress, USDT(30));
    await anvil.mine(REQUIRED);
    await until(order.id, (o) => o.confirmations >= REQUIRED && o.status === 'CONFIRMING', 'confirmed its part');
    await sql(`update payment_order set expires_at = now() - interval '1 second' where id = ?`, [order.id]);
    // The expiry job runs every 15 s; its work is called here directly (test/integration/orders covers the job).
    await expireOrders(t.app.deps, new Date(Date.now() + 5000));
    expect(await readOrder(order.id)).toMatchObject({ status: 'UNDERPAID', amountReceived: '30' });
  });

  it('records a transfer to an ended order as a late payment: stored, audited, never credited', async () => {
    const order = await createOrder('100');
    await t.gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: order.id }, { token: site.customerToken });
    const receipt = await anvil.transfer(token, order.payToAddress, USDT(100));
    await anvil.mine(REQUIRED);
    const deadline = Date.now() + 10_000;
    let rows: { order_id: string | null; late_for_order_id: string | null; status: string }[] = [];
    while (Date.now() < deadline && !(rows = await sql('select order_id, late_for_order_id, status from chain_transfer where tx_hash = ?', [receipt.hash.toLowerCase()])).length) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toEqual([{ order_id: null, late_for_order_id: order.id, status: expect.any(String) }]);
    const [audit] = await sql<{ details: Record<string, unknown> }>(`select details from audit_entry where target_id = ? and action = 'order.late_payment'`, [order.id]);
    expect(audit!.details).toMatchObject({ orderStatus: 'CANCELLED', amount: '100', txHash: receipt.hash.toLowerCase() });
    expect(await readOrder(order.id)).toMatchObject({ status: 'CANCELLED', amountReceived: '0', transfers: [] });
  });

  it('drops a transfer whose block is reorged away before it is confirmed: never credited', async () => {
    const order = await createOrder('100');
    const snapshot = (await anvil.provider.send('evm_snapshot', [])) as string;
    const receipt = await anvil.transfer(token, order.payToAddress, USDT(100));
    await until(order.id, (o) => o.status === 'CONFIRMING', 'went CONFIRMING');
    expect(await anvil.provider.send('evm_revert', [snapshot])).toBe(true);
    // The new chain grows past the old one without the transfer.
    await anvil.mine(REQUIRED + 2);
    const deadline = Date.now() + 10_000;
    let status = '';
    while (Date.now() < deadline && (status = (await sql<{ status: string }>('select status from chain_transfer where tx_hash = ?', [receipt.hash.toLowerCase()]))[0]!.status) !== 'REORGED') {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('REORGED');
    const after = await until(order.id, (o) => o.amountReceived === '0', 'lost the reorged amount');
    expect(after).toMatchObject({ status: 'CONFIRMING', transfers: [] });
  });

  it('survives an RPC that returns garbage or hangs: nothing credited meanwhile, then resumes from its cursor and credits once', async () => {
    const order = await createOrder('100');
    rpc.mode = 'garbage';
    const receipt = await anvil.transfer(token, order.payToAddress, USDT(100));
    await new Promise((r) => setTimeout(r, 600));
    rpc.mode = 'hang';
    await new Promise((r) => setTimeout(r, 1500));
    expect((await readOrder(order.id)).status).toBe('PENDING');
    expect(t.logs.some((l) => l.includes('deposit watcher pass failed'))).toBe(true);
    rpc.mode = 'pass';
    await anvil.mine(REQUIRED);
    await until(order.id, (o) => o.status === 'PAID', 'went PAID after the RPC came back');
    expect(await sql('select count(*)::int as n from chain_transfer where tx_hash = ?', [receipt.hash.toLowerCase()])).toEqual([{ n: 1 }]);
    // Failures are logged without the RPC's URL (it may carry an API key).
    expect(t.logs.filter((l) => l.includes('deposit watcher pass failed')).every((l) => !l.includes(rpc.url))).toBe(true);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/vestline_deposit_watcher_passes_total{network="ETHEREUM",outcome="failed"} [1-9]/);
    expect(metrics).toMatch(/vestline_deposit_transfers_total{network="ETHEREUM",outcome="credited"} [1-9]/);
  }, 30_000);
});
