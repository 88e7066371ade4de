import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { checkTree } from '../../../scripts/check-raw-sql.js';
import { loadConfig } from '../../../src/config.js';
import { buildDeps, type BuiltDeps, type Deps } from '../../../src/deps.js';
import { AssetPurpose, Network, WalletStatus } from '../../../src/entities/enums.js';
import { SITE_FILTER } from '../../../src/entities/site-scope.js';
import { Site } from '../../../src/entities/site.entity.js';
import { createLogger } from '../../../src/logger.js';
import { upsertAsset, type AssetInput } from '../../../src/services/assets/upsert-asset.js';
import type { BalanceReaders } from '../../../src/services/chain/balance-readers.js';
import type { Scope } from '../../../src/services/scope.js';
import { allocateWallet } from '../../../src/services/wallets/allocate-wallet.js';
import { listWallets } from '../../../src/services/wallets/list-wallets.js';
import { listAuditLog } from '../../../src/services/audit/list-audit-log.js';
import { generateWallets } from '../../../src/services/wallets/generate-wallets.js';
import { releaseWallet } from '../../../src/services/wallets/release-wallet.js';
import { setWalletStatus } from '../../../src/services/wallets/set-wallet-status.js';
import { syncWalletBalances } from '../../../src/services/wallets/sync-balances.js';
import { walletPoolStats } from '../../../src/services/wallets/wallet-pool-stats.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { Role } from '../../../src/entities/role.js';
import { User } from '../../../src/entities/user.entity.js';
import { createOrder } from '../../../src/services/orders/create-order.js';
import { recordTransfer } from '../../../src/services/deposits/record-transfer.js';
import { settleOrder } from '../../../src/services/deposits/settle-order.js';
import { confirmOrderManually } from '../../../src/services/orders/confirm-order-manually.js';
import { createAllocationForOrder } from '../../../src/services/vesting/create-allocation.js';
import { findAllocation, loadAllocation, loadOrderAllocation } from '../../../src/services/vesting/find-allocation.js';
import { findReleases, listReleases, loadAllocationReleases } from '../../../src/services/vesting/list-releases.js';
import { revokeAllocation } from '../../../src/services/vesting/revoke-allocation.js';
import { releaseBatch } from '../../../src/services/payouts/release-batch.js';
import { emitEvents } from '../../../src/services/notifications/emit.js';
import { readAllocationData, readOrderData, readReleaseData } from '../../../src/services/notifications/payloads.js';
import { settleRelease } from '../../../src/services/payouts/settle-release.js';
import { retryRelease } from '../../../src/services/payouts/retry-release.js';
import { findOrder, loadOrder } from '../../../src/services/orders/find-order.js';
import { listOrders } from '../../../src/services/orders/list-orders.js';
import { loadOrderTransfers } from '../../../src/services/orders/order-transfers.js';
import { orderUpdates } from '../../../src/services/orders/order-updates.js';
import type { OrderView } from '../../../src/services/orders/order-view.js';
import { updateSiteSettings } from '../../../src/services/sites/update-site-settings.js';
import { loadSiteUser } from '../../../src/services/users/load-user.js';
import { createVestingPlan } from '../../../src/services/vesting-plans/create-vesting-plan.js';

/**
 * Raw SQL bypasses the ORM's site filter, so each site-scoped raw statement in src/ gets a test here:
 * acting in site A never reads or changes site B's rows. Statements marked `// all-sites:` are
 * platform jobs and need none. The first test keeps this list complete.
 */
const COVERED: Record<string, string> = {
  'src/services/db/transition.ts': 'releaseWallet, setWalletStatus (and test/integration/db/transition.test.ts)',
  'src/services/wallets/allocate-wallet.ts': 'allocateWallet',
  'src/services/wallets/wallet-pool-stats.ts': 'walletPoolStats',
  'src/services/assets/upsert-asset.ts': 'upsertAsset',
  'src/services/wallets/sync-balances.ts': 'syncWalletBalances with a site',
  'src/services/pagination.ts': 'listWallets and listAuditLog (keysetRows), listOrders',
  'src/services/orders/create-order.ts': 'createOrder (sale terms, idempotency keys)',
  'src/services/audit/record-audit.ts': "insertAudit, through createOrder: the entry is the scope's site's",
  'src/services/orders/find-order.ts': 'findOrder, loadOrder',
  'src/services/orders/order-transfers.ts': 'loadOrderTransfers',
  'src/services/orders/order-updates.ts': 'orderUpdates (and test/integration/orders/order-subscriptions.test.ts)',
  'src/services/users/load-user.ts': 'loadSiteUser',
  'src/services/deposits/record-transfer.ts': 'recordTransfer',
  'src/services/deposits/settle-order.ts': 'settleOrder',
  'src/services/vesting/create-allocation.ts': 'createAllocationForOrder',
  'src/services/vesting/find-allocation.ts': 'loadAllocation, loadOrderAllocation, findAllocation',
  'src/services/vesting/list-releases.ts': 'listReleases, findReleases, loadAllocationReleases',
  'src/services/vesting/revoke-allocation.ts': 'revokeAllocation',
  'src/services/payouts/release-batch.ts': 'releaseBatch',
  'src/services/payouts/settle-release.ts': 'settleRelease',
  'src/services/payouts/retry-release.ts': 'retryRelease',
  'src/services/notifications/payloads.ts': 'readOrderData, readReleaseData, readAllocationData',
  'src/services/notifications/emit.ts': 'emitEvents (and every flow above: site B gets no event of site A)',
  'src/services/notifications/endpoints.ts': 'test/integration/notifications/webhooks.test.ts: another site lists none, rotates none (NOT_FOUND)',
  'src/services/notifications/deliveries.ts': 'test/integration/notifications/webhooks.test.ts: another site cannot redeliver (NOT_FOUND)',
  'src/services/notifications/deliver.ts': "outcomes are written by the claimed delivery's own id and site (test/integration/notifications/webhooks.test.ts)",
  'src/services/notifications/email/send-emails.ts': "outcomes are written by the claimed e-mail's own id and site; its order, release and site are joined on the e-mail's site (test/integration/notifications/customer-emails.test.ts)",
};

let db: TestDatabase;
let built: BuiltDeps;
let deps: Deps;
let A: string;
let B: string;

const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => deps.orm.em.fork().getConnection().execute<T[]>(text, params);

function scope(siteId: string): Scope {
  const em = deps.orm.em.fork();
  em.setFilterParams(SITE_FILTER, { siteId });
  return { em, deps, actor: null, siteId, ip: null };
}

/** Every row site B owns, in full: compared before and after site A acts. */
async function siteRows(siteId: string) {
  return {
    wallets: await sql('select * from wallet where site_id = ? order by id', [siteId]),
    assets: await sql('select * from asset where site_id = ? order by id', [siteId]),
    snapshots: await sql('select * from wallet_balance_snapshot where site_id = ? order by id', [siteId]),
    audit: await sql('select * from audit_entry where site_id = ? order by id', [siteId]),
    orders: await sql('select * from payment_order where site_id = ? order by id', [siteId]),
    transfers: await sql('select * from chain_transfer where site_id = ? order by id', [siteId]),
    allocations: await sql('select * from allocation where site_id = ? order by id', [siteId]),
    releases: await sql('select * from vesting_release where site_id = ? order by id', [siteId]),
    events: await sql('select * from notification_event where site_id = ? order by id', [siteId]),
    deliveries: await sql('select * from webhook_delivery where site_id = ? order by id', [siteId]),
  };
}

async function walletIds(siteId: string, network?: Network): Promise<string[]> {
  const rows = await sql<{ id: string }>(`select id from wallet where site_id = ? ${network ? 'and network = ?' : ''} order by id`, network ? [siteId, network] : [siteId]);
  return rows.map((r) => r.id);
}

const asset = (contractAddress: string, over: Partial<AssetInput> = {}): AssetInput => ({
  network: Network.ETHEREUM,
  symbol: 'USDT',
  decimals: 6,
  contractAddress,
  purpose: AssetPurpose.PAYMENT,
  confirmationsRequired: 1,
  active: true,
  ...over,
});
const evmAddress = () => `0x${randomBytes(20).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, DB_POOL_MAX: '10', MIGRATE_ON_START: 'true', JWT_SECRET: 'raw-sql-isolation-secret-0123456789abcdef' });
  built = await buildDeps(config, createLogger('silent'));
  deps = built.deps;
  const em = deps.orm.em.fork();
  const a = Object.assign(new Site(), { slug: 'raw-a', name: 'A' });
  const b = Object.assign(new Site(), { slug: 'raw-b', name: 'B' });
  em.persist([a, b]);
  await em.flush();
  [A, B] = [a.id, b.id];
  // A: 2 ETHEREUM wallets and no TRON wallet. B: 4 ETHEREUM and 3 TRON.
  await generateWallets(scope(A), { network: Network.ETHEREUM, count: 2 });
  await generateWallets(scope(B), { network: Network.ETHEREUM, count: 4 });
  await generateWallets(scope(B), { network: Network.TRON, count: 3 });
});
afterAll(async () => {
  await built?.close();
  await db?.drop();
});

describe('raw SQL acting in site A never reads or changes site B', () => {
  it('has a cross-site test here for every site-scoped raw statement in src/', () => {
    const scoped = checkTree(process.cwd()).statements.filter((s) => s.status === 'site-condition');
    const uncovered = scoped.filter((s) => !(s.file in COVERED)).map((s) => `${s.file}:${s.line} (${s.siteTables.join(', ')})`);
    expect(uncovered).toEqual([]);
  });

  it('allocateWallet: takes only the site’s own wallets, and reports an empty pool although another site has one', async () => {
    const before = await siteRows(B);
    await expect(allocateWallet(scope(A).em, A, Network.TRON, randomUUID())).rejects.toMatchObject({ reason: 'POOL_EXHAUSTED' });
    const mine = await walletIds(A, Network.ETHEREUM);
    const got = [await allocateWallet(scope(A).em, A, Network.ETHEREUM, randomUUID()), await allocateWallet(scope(A).em, A, Network.ETHEREUM, randomUUID())];
    expect(got.map((w) => w.id).sort()).toEqual(mine);
    await expect(allocateWallet(scope(A).em, A, Network.ETHEREUM, randomUUID())).rejects.toMatchObject({ reason: 'POOL_EXHAUSTED' });
    expect(await siteRows(B)).toEqual(before);
  });

  it('releaseWallet (transition): cannot release a wallet of another site, even with its order id', async () => {
    const orderB = randomUUID();
    const w = await allocateWallet(scope(B).em, B, Network.TRON, orderB);
    const before = await siteRows(B);
    expect(await releaseWallet(scope(A).em, A, w.id, orderB)).toBe(false);
    expect(await siteRows(B)).toEqual(before);
    // The same call in the wallet's own site does release it.
    expect(await releaseWallet(scope(B).em, B, w.id, orderB)).toBe(true);
    expect((await sql<{ status: string }>('select status from wallet where id = ?', [w.id]))[0]!.status).toBe(WalletStatus.COOLING_DOWN);
  });

  it('setWalletStatus (transition): a wallet of another site is NOT_FOUND, whichever way, and nothing is audited there', async () => {
    const [idB] = await walletIds(B, Network.ETHEREUM);
    const before = await siteRows(B);
    for (const status of [WalletStatus.DISABLED, WalletStatus.AVAILABLE]) {
      await expect(setWalletStatus(scope(A), { id: idB!, status })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    }
    expect(await siteRows(B)).toEqual(before);
    const own = await setWalletStatus(scope(B), { id: idB!, status: WalletStatus.DISABLED });
    expect(own).toMatchObject({ id: idB, status: WalletStatus.DISABLED });
    await setWalletStatus(scope(B), { id: idB!, status: WalletStatus.AVAILABLE });
  });

  it("keysetRows: a site's wallet and audit pages, and their totals, hold only that site's rows", async () => {
    const page = await listWallets(scope(A), { first: 100, withTotal: true });
    expect(page.items.map((w) => w.id).sort()).toEqual(await walletIds(A));
    expect(page.total).toEqual({ count: (await walletIds(A)).length, capped: false });
    const log = await listAuditLog(scope(A), { first: 100, withTotal: true });
    const own = await sql<{ id: string }>('select id from audit_entry where site_id = ? order by id', [A]);
    expect(log.items.map((e) => e.id).sort()).toEqual(own.map((r) => r.id));
    expect(log.total?.count).toBe(own.length);
  });

  it("walletPoolStats: counts only the site's own wallets", async () => {
    const stats = await walletPoolStats(scope(A));
    expect(stats).toEqual([
      { network: Network.ETHEREUM, available: 0, allocated: 2, coolingDown: 0, disabled: 0 },
      { network: Network.TRON, available: 0, allocated: 0, coolingDown: 0, disabled: 0 },
    ]);
    const statsB = await walletPoolStats(scope(B));
    expect(statsB.find((s) => s.network === Network.ETHEREUM)).toMatchObject({ available: 4, allocated: 0 });
    expect(statsB.find((s) => s.network === Network.TRON)).toMatchObject({ available: 2, coolingDown: 1 });
  });

  it("upsertAsset: the same contract in another site is a new row of this site; the other site's asset and its decimals stay", async () => {
    const contract = evmAddress();
    const b = await upsertAsset(scope(B), asset(contract, { symbol: 'USDB', decimals: 6 }));
    const before = await siteRows(B);
    // Other decimals would be refused on B's row; in A it is A's own, new row.
    const a = await upsertAsset(scope(A), asset(contract, { symbol: 'USDA', decimals: 18, active: false }));
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ symbol: 'USDA', decimals: 18, active: false });
    expect(a.site.id).toBe(A);
    // A second upsert in A updates A's row only; a decimals change there meets A's row, not B's.
    const again = await upsertAsset(scope(A), asset(contract, { symbol: 'USDA2', decimals: 18, active: false }));
    expect(again.id).toBe(a.id);
    await expect(upsertAsset(scope(A), asset(contract, { symbol: 'USDA3', decimals: 6, active: false }))).rejects.toMatchObject({ reason: 'DECIMALS_LOCKED' });
    expect(await siteRows(B)).toEqual(before);
    expect(await sql('select symbol, decimals from asset where contract_address = ? order by site_id = ? desc', [a.contractAddress, A])).toEqual([
      { symbol: 'USDA2', decimals: 18 },
      { symbol: 'USDB', decimals: 6 },
    ]);
  });

  it('syncWalletBalances with a site: reads and writes that site’s wallets and snapshots only', async () => {
    // Both sites take ETHEREUM payments, so both sites' wallets are readable.
    for (const site of [A, B]) await upsertAsset(scope(site), asset(evmAddress(), { symbol: 'PAY' }));
    const asked: string[] = [];
    const readers: BalanceReaders = {
      [Network.ETHEREUM]: { balanceOf: async (_contract, owner) => (asked.push(owner.toLowerCase()), 1_000_000n) },
      [Network.TRON]: { balanceOf: async (_contract, owner) => (asked.push(owner.toLowerCase()), 2_000_000n) },
    };
    const before = await siteRows(B);
    const report = await syncWalletBalances(deps.orm.em.fork(), readers, { concurrency: 4, timeoutMs: 1000, retries: 0, siteId: A });
    expect(report).toMatchObject({ synced: 2, changed: 2, failed: [], withoutPaymentAsset: 0 });
    const addressesA = (await sql<{ address: string }>('select address from wallet where site_id = ?', [A])).map((r) => r.address.toLowerCase());
    expect(asked.sort()).toEqual(addressesA.sort());
    expect(await siteRows(B)).toEqual(before);
    const snapshots = await sql<{ site_id: string; wallet_site: string }>(
      'select s.site_id, w.site_id as wallet_site from wallet_balance_snapshot s join wallet w on w.id = s.wallet_id',
    );
    expect(snapshots).toHaveLength(2);
    expect(snapshots.every((s) => s.site_id === A && s.wallet_site === A)).toBe(true);
  });

  describe('orders', () => {
    const orders: Record<string, { customer: Scope; plan: string; order: OrderView }> = {};
    const customerScope = (siteId: string, userId: string): Scope => ({ ...scope(siteId), actor: { userId, email: `c@${siteId}`, role: Role.CUSTOMER, siteId } });

    beforeAll(async () => {
      for (const site of [A, B]) {
        await updateSiteSettings(scope(site), { tokenPrice: '0.5' });
        await upsertAsset(scope(site), asset(evmAddress(), { symbol: 'SALE', decimals: 18, purpose: AssetPurpose.DISTRIBUTION }));
        const plan = await createVestingPlan(scope(site), { name: 'p', tgeBps: 0, cliffDays: 0, periods: 1, periodDays: 1 });
        await generateWallets(scope(site), { network: Network.ETHEREUM, count: 2 });
        const em = deps.orm.em.fork();
        const user = Object.assign(new User(), { site: em.getReference(Site, site), email: `customer@${site}.test`, passwordHash: 'x', role: Role.CUSTOMER });
        await em.persist(user).flush();
        const customer = customerScope(site, user.id);
        const order = await createOrder(customer, { network: Network.ETHEREUM, amount: '10', payoutAddress: evmAddress(), planId: plan.id }, { idempotencyKey: 'same-key' });
        orders[site] = { customer, plan: plan.id, order };
      }
      // A credited transfer in B, for the loaders to (not) find from A.
      const b = orders[B]!.order;
      await sql(
        `insert into chain_transfer (id, site_id, network, tx_hash, log_index, from_address, to_address, wallet_id, asset_id, amount, block_number, block_hash, confirmations, status, order_id, seen_at, updated_at)
         values (?, ?, 'ETHEREUM', '0xabc', 0, ?, ?, ?, ?, 1, 1, '0xdef', 1, 'UNCONFIRMED', ?, now(), now())`,
        [randomUUID(), B, evmAddress(), b.payToAddress, b.walletId, b.asset.id, b.id],
      );
    });

    it("createOrder: another site's plan is unknown, and the same Idempotency-Key in another site is another order", async () => {
      const before = await siteRows(B);
      await expect(createOrder(orders[A]!.customer, { network: Network.ETHEREUM, amount: '10', payoutAddress: evmAddress(), planId: orders[B]!.plan })).rejects.toMatchObject({ details: { field: 'planId' } });
      expect(orders[A]!.order.id).not.toBe(orders[B]!.order.id);
      const again = await createOrder(orders[A]!.customer, { network: Network.ETHEREUM, amount: '10', payoutAddress: orders[A]!.order.id && (await sql<{ payout_address: string }>('select payout_address from payment_order where id = ?', [orders[A]!.order.id]))[0]!.payout_address, planId: orders[A]!.plan }, { idempotencyKey: 'same-key' });
      expect(again.id).toBe(orders[A]!.order.id);
      // A new order of A (plain inserts, insertAudit): its rows and audit entry are A's.
      const fresh = await createOrder(orders[A]!.customer, { network: Network.ETHEREUM, amount: '10', payoutAddress: evmAddress(), planId: orders[A]!.plan });
      expect(await sql('select site_id from payment_order where id = ?', [fresh.id])).toEqual([{ site_id: A }]);
      expect(await sql(`select site_id from audit_entry where target_id = ? and action = 'order.created'`, [fresh.id])).toEqual([{ site_id: A }]);
      expect(await siteRows(B)).toEqual(before);
    });

    it("findOrder, loadOrder, listOrders: another site's order reads as missing, even to its own customer id", async () => {
      const b = orders[B]!.order;
      const staffA: Scope = { ...scope(A), actor: { userId: randomUUID(), email: 'admin@a', role: Role.SITE_ADMIN, siteId: A } };
      expect(await findOrder(staffA, b.id)).toBeNull();
      expect(await loadOrder(staffA, b.id)).toBeNull();
      expect(await findOrder(customerScope(A, b.customerId), b.id)).toBeNull();
      const listed = (await listOrders(staffA, { first: 100 })).items;
      expect(listed.map((o) => o.id)).toContain(orders[A]!.order.id);
      expect(listed.every((o) => o.siteId === A)).toBe(true);
      expect((await listOrders(staffA, { first: 100, search: b.reference })).items).toEqual([]);
      expect((await findOrder({ ...staffA, siteId: B, em: scope(B).em }, b.id))?.id).toBe(b.id);
    });

    it("loadOrderTransfers, loadSiteUser: nothing of another site's order or customer", async () => {
      const b = orders[B]!.order;
      expect(await loadOrderTransfers(scope(A), b.id)).toEqual([]);
      expect(await loadOrderTransfers(scope(B), b.id)).toHaveLength(1);
      expect(await loadSiteUser(scope(A), b.customerId)).toBeNull();
      expect((await loadSiteUser(scope(B), b.customerId))?.id).toBe(b.customerId);
    });

    it("recordTransfer, settleOrder: a wallet claimed for site A with site B's order credits nothing in B", async () => {
      const b = orders[B]!.order;
      const before = await siteRows(B);
      const wallet = { walletId: b.walletId, siteId: A, address: b.payToAddress, assetId: b.asset.id, contract: b.asset.contractAddress, orderId: b.id, orderCreatedAt: b.createdAt, confirmationsRequired: 1 };
      const transfer = { txHash: '0xabc', logIndex: 0, from: evmAddress(), to: b.payToAddress, amount: 10_000_000n, blockNumber: 1, blockHash: '0xdef' };
      await expect(recordTransfer(deps, Network.ETHEREUM, 5, wallet, transfer)).rejects.toThrow(/missing/);
      await expect(deps.orm.em.fork().transactional((tx) => settleOrder(tx, deps.events, A, b.id))).rejects.toThrow(/vanished/);
      expect(await siteRows(B)).toEqual(before);
    });

    it("createAllocationForOrder and the allocation reads: nothing of another site's paid order", async () => {
      const b = orders[B]!.order;
      // Staff of a site, acting as that site's (real) user so the audit entries have an actor.
      const staff = (siteId: string): Scope => ({ ...scope(siteId), actor: { ...orders[siteId]!.customer.actor!, role: Role.SITE_ADMIN } });
      await confirmOrderManually(staff(B), { id: b.id, reason: 'paid' });
      const before = await siteRows(B);
      // Site A asking for B's order: refused, nothing written anywhere.
      await expect(deps.orm.em.fork().transactional((tx) => createAllocationForOrder(tx, { actor: null, ip: null }, A, b.id))).rejects.toThrow(/not PAID in site/);
      const allocationB = (await loadOrderAllocation(staff(B), b.id))!;
      expect(allocationB).not.toBeNull();
      expect(await loadOrderAllocation(staff(A), b.id)).toBeNull();
      expect(await loadAllocation(staff(A), allocationB.id)).toBeNull();
      expect(await findAllocation(staff(A), allocationB.id)).toBeNull();
      expect((await listReleases(staff(A), { first: 100 })).items).toEqual([]);
      expect((await listReleases(staff(B), { first: 100 })).items.length).toBeGreaterThan(0);
      const releaseIds = (await listReleases(staff(B), { first: 100 })).items.map((r) => r.id);
      expect(await findReleases(staff(A), releaseIds)).toEqual([]);
      expect(await loadAllocationReleases(scope(A), allocationB.id)).toEqual([]);
      await expect(revokeAllocation(staff(A), { id: allocationB.id, reason: 'x' })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
      expect(await siteRows(B)).toEqual(before);
    });

    it("releaseBatch, settleRelease, retryRelease: another site's releases are neither taken, settled nor retried", async () => {
      const staff = (siteId: string): Scope => ({ ...scope(siteId), actor: { ...orders[siteId]!.customer.actor!, role: Role.SITE_ADMIN } });
      const b = orders[B]!.order;
      const allocationB = (await loadOrderAllocation(staff(B), b.id))!;
      await sql(`update vesting_release set status = 'UNLOCKED' where allocation_id = ? and status = 'LOCKED'`, [allocationB.id]);
      const [release] = await sql<{ id: string }>(`select id from vesting_release where allocation_id = ? and status = 'UNLOCKED' limit 1`, [allocationB.id]);
      const before = await siteRows(B);
      const result = await releaseBatch(staff(A), { releaseIds: [release!.id] });
      expect(result).toMatchObject({ submitted: [], skipped: [{ releaseId: release!.id, reason: 'not found' }] });
      await sql(`update vesting_release set status = 'PROCESSING' where id = ?`, [release!.id]);
      const processing = await siteRows(B);
      const settled = await deps.orm.em.fork().transactional((tx) => settleRelease(tx, deps.events, { id: release!.id, siteId: A, attempt: 0 }, { id: 'tx', status: 'COMPLETED', subStatus: null, txHash: '0x1' }));
      expect(settled.outcome).toBe('stale');
      expect(await siteRows(B)).toEqual(processing);
      expect(before.releases.length).toBe(processing.releases.length);
      await sql(`update vesting_release set status = 'FAILED' where id = ?`, [release!.id]);
      const failed = await siteRows(B);
      await expect(retryRelease(staff(A), { id: release!.id })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
      expect(await siteRows(B)).toEqual(failed);
    });

    it("notification payloads and the outbox: another site's rows are not read, and its endpoints get nothing", async () => {
      const b = orders[B]!.order;
      const before = await siteRows(B);
      const em = deps.orm.em.fork();
      await expect(em.transactional((tx) => readOrderData(tx, A, b.id))).rejects.toThrow(/not found/);
      const [releaseB] = await sql<{ id: string; allocation_id: string }>('select id, allocation_id from vesting_release where site_id = ? limit 1', [B]);
      await expect(em.transactional((tx) => readReleaseData(tx, A, releaseB!.id))).rejects.toThrow(/not found/);
      await expect(em.transactional((tx) => readAllocationData(tx, A, releaseB!.allocation_id))).rejects.toThrow(/not found/);
      // An endpoint in B subscribed to everything: an event of A makes no delivery there.
      await sql(`insert into webhook_endpoint (id, site_id, url, events, active, sealed_secret, key_version, created_at, updated_at) values (?, ?, 'https://b.example/hook', '{}', true, '\\x00', 1, now(), now())`, [randomUUID(), B]);
      const withEndpoint = await siteRows(B);
      await em.transactional((tx) => emitEvents(tx, [{ siteId: A, type: 'order.created', data: { id: 'x' } }]));
      expect(await siteRows(B)).toEqual(withEndpoint);
      expect(before.events).toEqual(withEndpoint.events);
    });

    it("orderUpdates: another site's order cannot be subscribed to", async () => {
      const b = orders[B]!.order;
      const staffA: Scope = { ...scope(A), actor: { userId: randomUUID(), email: 'admin@a', role: Role.SITE_ADMIN, siteId: A } };
      await expect(orderUpdates(staffA, b.id)).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    });
  });
});
