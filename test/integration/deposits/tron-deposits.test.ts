import { TronWeb } from 'tronweb';
import { GENESIS_TIMESTAMP_MS, startTronGridFake, type TronGridFake } from '../../support/trongrid-fake.js';
import { ETH_PAYOUT, ETH_SALE_TOKEN } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

/** USDT's TRC20 contract on TRON mainnet (the fake serves any contract it is told about). */
const TRON_USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const REQUIRED = 19;
const SENDER = TronWeb.address.fromPrivateKey('11'.repeat(32)) as string;

type Order = { id: string; status: string; amountReceived: string; confirmations: number; payToAddress: string; transfers: { txHash: string; logIndex: number; blockNumber: number; amount: string }[] };

describe('TRON deposits (TronGrid fake)', () => {
  let tron: TronGridFake;
  let t: TestApp;
  let site: SiteFixture;
  let planId: string;
  /** A block number whose fake timestamp is about now, so transfers fall after the order was created. */
  const blockNow = () => Math.floor((Date.now() - GENESIS_TIMESTAMP_MS) / 3000) + 2;

  const gqlOk = async <T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> => {
    const r = await t.gql<T>(query, variables, { token });
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const createOrder = async (amount: string) =>
    (await gqlOk<{ createOrder: Order }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status payToAddress } }', { i: { network: 'TRON', amount, payoutAddress: ETH_PAYOUT, planId } }, site.customerToken)).createOrder;
  const readOrder = async (id: string) =>
    (await gqlOk<{ order: Order }>('query($id: ID!) { order(id: $id) { id status amountReceived confirmations payToAddress transfers { txHash logIndex blockNumber amount } } }', { id }, site.adminToken)).order;
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
    tron = await startTronGridFake();
    tron.setHead(blockNow());
    t = await startTestApp({ TRON_API_URL: tron.url, TRON_API_KEY: 'test-tron-key', DEPOSIT_POLL_INTERVAL_MS: '200', WALLET_POOL_MIN_AVAILABLE: '0' });
    site = await createSiteFixture(t, 'tron-deposits');
    const admin = site.adminToken;
    await gqlOk('mutation($i:SiteSettingsInput!){updateSiteSettings(input:$i){id}}', { i: { tokenPrice: '0.05' } }, admin);
    const asset = 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}';
    await gqlOk(asset, { i: { network: 'TRON', symbol: 'USDT', decimals: 6, contractAddress: TRON_USDT, purpose: 'PAYMENT', confirmationsRequired: REQUIRED, active: true } }, admin);
    await gqlOk(asset, { i: { network: 'ETHEREUM', symbol: 'SALE', decimals: 18, contractAddress: ETH_SALE_TOKEN, purpose: 'DISTRIBUTION', confirmationsRequired: 12, active: true } }, admin);
    planId = (await gqlOk<{ createVestingPlan: { id: string } }>('mutation($i:VestingPlanInput!){createVestingPlan(input:$i){id}}', { i: { name: 'p', tgeBps: 0, cliffDays: 0, periods: 1, periodDays: 1 } }, admin)).createVestingPlan.id;
    await gqlOk('mutation { generateWallets(network: TRON, count: 5) { id } }', {}, admin);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await tron?.stop();
  });

  it('credits a TRC20 transfer, counts its confirmations from the head, and pays the order at 19; sends the API key', async () => {
    const order = await createOrder('250');
    const block = blockNow();
    tron.setHead(block);
    const added = tron.addTransfer({ contract: TRON_USDT, from: SENDER, to: order.payToAddress, value: 250_000_000n, blockNumber: block, confirmed: false });
    const confirming = await until(order.id, (o) => o.status === 'CONFIRMING', 'went CONFIRMING');
    expect(confirming).toMatchObject({ amountReceived: '250', confirmations: 1 });
    expect(confirming.transfers).toEqual([{ txHash: added.txId, logIndex: added.logIndex, blockNumber: block, amount: '250' }]);
    tron.setHead(block + REQUIRED - 1);
    expect(await until(order.id, (o) => o.status === 'PAID', 'went PAID')).toMatchObject({ amountReceived: '250', confirmations: REQUIRED });
    const trc20 = tron.requests.filter((r) => r.path.includes('/transactions/trc20'));
    expect(trc20.length).toBeGreaterThan(0);
    expect(trc20.every((r) => r.headers['tron-pro-api-key'] === 'test-tron-key')).toBe(true);
  });

  it('backs off on HTTP 429 and still credits the transfer, once', async () => {
    const order = await createOrder('100');
    const block = blockNow();
    tron.setHead(block + REQUIRED);
    tron.failNext(3, 429, { retryAfter: 0 });
    const added = tron.addTransfer({ contract: TRON_USDT, from: SENDER, to: order.payToAddress, value: 100_000_000n, blockNumber: block, confirmed: true });
    await until(order.id, (o) => o.status === 'PAID', 'went PAID');
    const rows = await t.app.db.orm.em.fork().getConnection().execute('select count(*)::int as n from chain_transfer where tx_hash = ?', [added.txId]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('asks TronGrid nothing while no TRON order is open or resting', async () => {
    await t.app.db.orm.em.fork().getConnection().execute(`update wallet set status = 'AVAILABLE', current_order_id = null, cooling_down_until = null where network = 'TRON'`);
    await t.app.db.orm.em.fork().getConnection().execute(`update payment_order set status = 'CANCELLED' where network = 'TRON' and status in ('PENDING', 'CONFIRMING')`);
    await new Promise((r) => setTimeout(r, 500));
    const before = tron.requests.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(tron.requests.length).toBe(before);
  });
});
