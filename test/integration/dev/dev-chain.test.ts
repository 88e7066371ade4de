/**
 * The development chain end to end (DEV_CHAIN=anvil): a real anvil with its state file, the test USDT,
 * the demo site seeded through the use cases, an order made over HTTP by the demo customer and paid
 * with the dev:pay logic, watched PENDING -> CONFIRMING -> PAID in a subscription; then a restart of
 * the chain on the same state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet, getCreateAddress } from 'ethers';
import { loadConfig, type Config } from '../../../src/config.js';
import { ANVIL_DEFAULT_PRIVATE_KEY, loadTestTokenArtifact } from '../../../src/dev/anvil.js';
import { isAlive, readDevChainRuntime, startDevChain, type DevChain } from '../../../src/dev/dev-chain.js';
import { devPay, DevPayError } from '../../../src/dev/dev-pay.js';
import { DEMO, seedDemo, type DemoSeed } from '../../../src/dev/seed-demo.js';
import { createLogger } from '../../../src/logger.js';
import { syncWalletBalances } from '../../../src/services/wallets/sync-balances.js';
import { ETH_PAYOUT } from '../../support/sale.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { subscribeWs } from '../../support/ws-client.js';

type Order = { id: string; reference: string; status: string; payToAddress: string; amountExpected: string; amountReceived: string; confirmations: number; confirmationsRequired: number; transfers: { txHash: string }[] };
const ORDER_FIELDS = 'id reference status payToAddress amountExpected amountReceived confirmations confirmationsRequired transfers { txHash }';

describe('development chain (DEV_CHAIN=anvil)', () => {
  const logger = createLogger('silent');
  let dir: string;
  let chain: DevChain;
  let t: TestApp;
  let seed: DemoSeed;
  /** dev:pay's configuration, as `npm run dev:pay` would load it next to this app. */
  let payConfig: Config;
  /** The deposit address dev:pay paid 100 USDT into. */
  let paidTo: string | undefined;
  let customerToken: string;
  const createOrder = async (amount: string): Promise<Order> => {
    const plans = await t.gql<{ vestingPlans: { id: string; name: string }[] }>('{ vestingPlans { id name } }', {}, { token: customerToken });
    expect(plans.data?.vestingPlans.map((p) => p.name)).toEqual([DEMO.plan.name]);
    const created = await t.gql<{ createOrder: Order }>(
      `mutation($i: CreateOrderInput!) { createOrder(input: $i) { ${ORDER_FIELDS} } }`,
      { i: { network: 'ETHEREUM', amount, payoutAddress: ETH_PAYOUT, planId: plans.data!.vestingPlans[0]!.id } },
      { token: customerToken },
    );
    if (!created.data?.createOrder) throw new Error(JSON.stringify(created.errors));
    return created.data.createOrder;
  };
  const sql = <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vestline-dev-chain-'));
    chain = await startDevChain({ dir, logger });
    // As src/main.ts does: the app gets anvil's http:// URL (the balance sync reads over HTTP only).
    t = await startTestApp({ ETH_RPC_URL: chain.rpcUrl, DEPOSIT_POLL_INTERVAL_MS: '200', WALLET_POOL_MIN_AVAILABLE: '0' });
    await chain.publish({});
    payConfig = loadConfig({ NODE_ENV: 'test', DEV_CHAIN: 'anvil', DEV_CHAIN_DIR: dir, DATABASE_URL: t.db.url });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('deploys the test USDT where a fresh chain puts it and publishes where the chain is', async () => {
    expect(chain.usdtDeployed).toBe(true);
    expect(chain.usdtAddress).toBe(getCreateAddress({ from: new Wallet(ANVIL_DEFAULT_PRIVATE_KEY).address, nonce: 0 }));
    expect(chain.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const token = new Contract(chain.usdtAddress, loadTestTokenArtifact().abi, chain.anvil.provider);
    expect(await token.getFunction('decimals')()).toBe(6n);
    expect(readDevChainRuntime(dir)).toMatchObject({ appPid: process.pid, anvilPid: chain.anvil.pid, rpcUrl: chain.rpcUrl, usdtAddress: chain.usdtAddress });
  });

  it('seeds the demo site once, through the audited use cases; a second call changes nothing', async () => {
    const first = await seedDemo(t.app.deps, { paymentContract: chain.usdtAddress });
    expect(first).toMatchObject({ created: true, slug: 'demo', paymentAssetReplaced: false });
    expect(first!.logins!.customer.email).toBe(DEMO.customerEmail);
    seed = first!;
    const siteId = seed.siteId;
    const count = async () =>
      (
        await sql<{ users: string; assets: string; plans: string; wallets: string; audits: string }>(
          `select (select count(*) from app_user where site_id = ?) as users, (select count(*) from asset where site_id = ?) as assets,
             (select count(*) from vesting_plan where site_id = ?) as plans, (select count(*) from wallet where site_id = ?) as wallets,
             (select count(*) from audit_entry where site_id = ?) as audits`,
          [siteId, siteId, siteId, siteId, siteId],
        )
      )[0];
    const before = await count();
    expect(before).toMatchObject({ users: '2', assets: '2', plans: '1', wallets: '10' });
    const actions = (await sql<{ action: string }>('select action from audit_entry where site_id = ? order by at, action', [siteId])).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['site.created', 'user.created', 'site.settings_updated', 'vesting_plan.created', 'asset.created', 'wallet.generated']));
    const [pay] = await sql<{ contract_address: string; decimals: number; confirmations_required: number }>(
      `select contract_address, decimals, confirmations_required from asset where site_id = ? and purpose = 'PAYMENT' and active`,
      [siteId],
    );
    expect(pay).toEqual({ contract_address: chain.usdtAddress, decimals: 6, confirmations_required: DEMO.paymentConfirmations });

    const again = await seedDemo(t.app.deps, { paymentContract: chain.usdtAddress });
    expect(again).toEqual({ created: false, siteId, slug: 'demo', logins: null, paymentAssetReplaced: false });
    expect(await count()).toEqual(before);
  });

  it('pays an order of the demo customer with dev:pay: PENDING -> CONFIRMING -> PAID, live in a subscription', async () => {
    const token = (customerToken = await t.login(seed.logins!.customer.email, seed.logins!.customer.password));
    const order = await createOrder('100');
    expect(order).toMatchObject({ status: 'PENDING', amountExpected: '100', confirmationsRequired: 2 });

    const sub = await subscribeWs(t.app.graphqlUrl, { authorization: `Bearer ${token}` }, `subscription($id: ID!) { orderUpdated(id: $id) { ${ORDER_FIELDS} } }`, { id: order.id });
    await new Promise((r) => setTimeout(r, 300)); // let the subscription settle before paying
    const lines: string[] = [];
    const paid = await devPay(payConfig, { reference: order.reference.toLowerCase(), blockIntervalMs: 500, onProgress: (l) => lines.push(l) });
    expect(paid).toMatchObject({ reference: order.reference, site: 'demo', payToAddress: order.payToAddress, amount: '100', symbol: 'USDT', minedBlocks: 1 });
    expect(paid.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(lines.join('\n')).toContain(paid.txHash!);

    const deadline = Date.now() + 15_000;
    let seen: Order | undefined;
    while (Date.now() < deadline) {
      seen = (await t.gql<{ order: Order }>(`query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id: order.id }, { token })).data?.order;
      if (seen?.status === 'PAID') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toMatchObject({ status: 'PAID', amountReceived: '100', confirmations: 2, transfers: [{ txHash: paid.txHash }] });
    paidTo = order.payToAddress;

    const statuses: string[] = [];
    while (!statuses.includes('PAID')) statuses.push(((await sub.next(5000)).data as { orderUpdated: Order }).orderUpdated.status);
    sub.close();
    expect(statuses[0]).toBe('CONFIRMING');
    expect(statuses.at(-1)).toBe('PAID');

    // The balance sync job reads the demo's wallets through the same ETH_RPC_URL.
    const sync = await syncWalletBalances(t.app.db.orm.em.fork(), t.app.deps.chain, { concurrency: 4, timeoutMs: 2000, retries: 0, siteId: seed.siteId });
    expect(sync).toMatchObject({ synced: 10, failed: [] });
    const [wallet] = await sql<{ balance: string }>('select balance::text from wallet where address = ?', [order.payToAddress]);
    expect(wallet?.balance).toBe('100000000');

    // Paid in full: dev:pay now refuses instead of paying twice.
    await expect(devPay(payConfig, { reference: order.reference })).rejects.toThrow(/is PAID: only PENDING or CONFIRMING/);
  }, 30_000);

  it('refuses clearly when DEV_CHAIN is off, the reference is unknown, or the amount is malformed', async () => {
    const off = loadConfig({ NODE_ENV: 'test', DATABASE_URL: t.db.url, DEV_CHAIN_DIR: dir });
    await expect(devPay(off, { reference: 'VL-0000000000AA' })).rejects.toThrow(DevPayError);
    await expect(devPay(off, { reference: 'VL-0000000000AA' })).rejects.toThrow(/DEV_CHAIN is off/);
    await expect(devPay(payConfig, { reference: 'VL-0000000000AA' })).rejects.toThrow(/no order with reference VL-0000000000AA/);
    const elsewhere = loadConfig({ NODE_ENV: 'test', DEV_CHAIN: 'anvil', DEV_CHAIN_DIR: join(dir, 'none'), DATABASE_URL: t.db.url });
    await expect(devPay(elsewhere, { reference: 'VL-0000000000AA' })).rejects.toThrow(/not running/);

    const open = await createOrder('50');
    await expect(devPay(payConfig, { reference: open.reference, amount: '1.0000001' })).rejects.toThrow(/7 fractional digits; this asset allows 6/);
    await expect(devPay(payConfig, { reference: open.reference, amount: '-1' })).rejects.toThrow(/non-negative decimal/);
  });

  it("follows the test USDT when it moved: the demo's PAYMENT asset is switched, the old one kept inactive", async () => {
    const moved = await chain.anvil.deployToken({ name: 'Test Tether USD', symbol: 'USDT', decimals: 6 });
    const again = await seedDemo(t.app.deps, { paymentContract: moved.address });
    expect(again).toMatchObject({ created: false, paymentAssetReplaced: true, logins: null });
    const rows = await sql<{ contract_address: string; active: boolean }>(`select contract_address, active from asset where site_id = ? and purpose = 'PAYMENT' order by created_at`, [seed.siteId]);
    expect(rows).toEqual([
      { contract_address: chain.usdtAddress, active: false },
      { contract_address: moved.address, active: true },
    ]);
    expect((await seedDemo(t.app.deps, { paymentContract: moved.address }))?.paymentAssetReplaced).toBe(false);
  });

  it('mines a chain started afresh (state file lost) up to the deposit cursor the database holds', async () => {
    // Let the watcher's cursor reach the (idle) chain's head first, so it holds still.
    const head = await chain.anvil.provider.getBlockNumber();
    const readCursor = async () => Number((await sql<{ block: string }>(`select block from chain_cursor where network = 'ETHEREUM'`))[0]?.block ?? -1);
    for (const deadline = Date.now() + 10_000; (await readCursor()) < head && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    const cursor = { block: String(await readCursor()) };
    expect(Number(cursor.block)).toBe(head);
    expect(head).toBeGreaterThan(2);
    const freshDir = await mkdtemp(join(tmpdir(), 'vestline-dev-chain-fresh-'));
    const fresh = await startDevChain({ dir: freshDir, logger });
    try {
      expect(fresh.usdtAddress).toBe(chain.usdtAddress); // the first deployment of a fresh chain
      expect(await fresh.anvil.provider.getBlockNumber()).toBe(2); // deploy, mint
      expect(await fresh.catchUpWithDatabase(t.app.deps)).toBe(Number(cursor.block) - 2);
      expect(await fresh.anvil.provider.getBlockNumber()).toBe(Number(cursor.block));
      expect(await fresh.catchUpWithDatabase(t.app.deps)).toBe(0);
    } finally {
      await fresh.stop();
      await rm(freshDir, { recursive: true, force: true });
    }
  });

  it('keeps the chain across a restart, and stops anvil with the chain', async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
    const head = await provider.getBlockNumber();
    provider.destroy();
    const pid = chain.anvil.pid;
    await t.stop();
    await chain.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    expect(readDevChainRuntime(dir)).toBeNull();

    chain = await startDevChain({ dir, logger });
    expect(chain.usdtDeployed).toBe(false);
    expect(await chain.anvil.provider.getBlockNumber()).toBe(head);
    const token = new Contract(chain.usdtAddress, loadTestTokenArtifact().abi, chain.anvil.provider);
    expect(paidTo).toBeDefined();
    expect(await token.getFunction('balanceOf')(paidTo!)).toBe(100_000_000n);
  });
});
