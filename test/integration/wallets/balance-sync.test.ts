import { TronWeb } from 'tronweb';
import { Network } from '../../../src/entities/enums.js';
import { erc20Reader, trc20Reader } from '../../../src/services/chain/balance-readers.js';
import { generateWallets } from '../../../src/services/wallets/generate-wallets.js';
import { siteScope } from '../../support/scope.js';
import { syncWalletBalances } from '../../../src/services/wallets/sync-balances.js';
import { createJobRunner, type JobRunner } from '../../../src/jobs/agenda.js';
import type { JobDeps, JobRun } from '../../../src/jobs/job-definition.js';
import { syncWalletBalancesJob } from '../../../src/jobs/sync-wallet-balances.job.js';
import { createLogger } from '../../../src/logger.js';
import { startAnvil, type Anvil, type DeployedToken } from '../../support/anvil.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { startTronGridFake, type TronGridFake } from '../../support/trongrid-fake.js';

const UPSERT = `mutation($i: AssetInput!) { upsertAsset(input: $i) { id } }`;
const TRC20_USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

let anvil: Anvil;
let tron: TronGridFake;
let token: DeployedToken;
let t: TestApp;
let site: SiteFixture;
let ethWallets: { id: string; address: string }[];
let tronWallets: { id: string; address: string }[];

const rows = (sql: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(sql, params);
const opts = () => ({ concurrency: 10, timeoutMs: 2000, retries: 2, siteId: site.siteId });
const readers = () => ({ [Network.ETHEREUM]: erc20Reader(anvil.url, 2000), [Network.TRON]: trc20Reader(tron.url, 'test-api-key') });

beforeAll(async () => {
  [anvil, tron] = await Promise.all([startAnvil(), startTronGridFake()]);
  token = await anvil.deployToken({ name: 'Tether USD', symbol: 'USDT', decimals: 6 });
  t = await startTestApp({ ETH_RPC_URL: anvil.url, TRON_API_URL: tron.url, TRON_API_KEY: 'test-api-key', CHAIN_READ_RETRIES: '1', CHAIN_READ_TIMEOUT_MS: '1000', WALLET_POOL_MIN_AVAILABLE: '4' });
  site = await createSiteFixture(t, 'sync');
  for (const [network, contractAddress] of [['ETHEREUM', token.address], ['TRON', TRC20_USDT]] as const) {
    const r = await t.gql(UPSERT, { i: { network, symbol: 'USDT', decimals: 6, contractAddress, purpose: 'PAYMENT', confirmationsRequired: 1, active: true } }, { token: site.adminToken });
    expect(r.errors).toBeUndefined();
  }
  const scope = siteScope(t.app, site.siteId);
  ethWallets = (await generateWallets(scope, { network: Network.ETHEREUM, count: 3 })).map((w) => ({ id: w.id, address: w.address }));
  tronWallets = (await generateWallets(scope, { network: Network.TRON, count: 3 })).map((w) => ({ id: w.id, address: w.address }));
});
afterAll(async () => {
  await t.stop();
  await Promise.all([anvil.stop(), tron.stop()]);
});

describe('wallet balance sync', () => {
  it('reads ERC20 balances from a real node after real transfers, and TRC20 balances through TronGrid', async () => {
    await anvil.mint(token, ethWallets[0]!.address, 1_250_000_001n);
    await anvil.mint(token, ethWallets[1]!.address, 5n);
    tron.setBalance(TRC20_USDT, tronWallets[0]!.address, 99_000_000n);

    const report = await syncWalletBalances(t.app.db.orm.em.fork(), readers(), opts());
    expect(report).toMatchObject({ synced: 6, changed: 6, failed: [], withoutPaymentAsset: 0 });

    const api = await t.gql<{ wallets: { edges: { node: { id: string; balance: string; balanceSyncedAt: string } }[] } }>(
      '{ wallets(first: 100) { edges { node { id balance balanceSyncedAt } } } }',
      {},
      { token: site.operatorToken },
    );
    const balance = (id: string) => api.data!.wallets.edges.find((e) => e.node.id === id)!.node.balance;
    expect(balance(ethWallets[0]!.id)).toBe('1250.000001');
    expect(balance(ethWallets[1]!.id)).toBe('0.000005');
    expect(balance(ethWallets[2]!.id)).toBe('0');
    expect(balance(tronWallets[0]!.id)).toBe('99');
    expect(api.data!.wallets.edges.every((e) => e.node.balanceSyncedAt)).toBe(true);
    // TronGrid was asked the way its API documents, with our key.
    const req = tron.requests.find((r) => r.path === '/wallet/triggerconstantcontract')!;
    expect(req.headers['tron-pro-api-key']).toBe('test-api-key');
    expect(req.body).toMatchObject({ contract_address: TRC20_USDT, function_selector: 'balanceOf(address)', visible: true });
  });

  it('writes a snapshot only when a balance changes', async () => {
    const before = Number((await rows('select count(*) as n from wallet_balance_snapshot'))[0]!.n);
    const unchanged = await syncWalletBalances(t.app.db.orm.em.fork(), readers(), opts());
    expect(unchanged).toMatchObject({ synced: 6, changed: 0 });
    expect(Number((await rows('select count(*) as n from wallet_balance_snapshot'))[0]!.n)).toBe(before);

    // A real ERC20 transfer from another holder, as a customer's payment would be.
    await anvil.mint(token, anvil.deployer.address, 10_000_000n);
    await anvil.transfer(token, ethWallets[2]!.address, 7_000_000n);
    const changed = await syncWalletBalances(t.app.db.orm.em.fork(), readers(), opts());
    expect(changed).toMatchObject({ synced: 6, changed: 1 });
    const snaps = await rows('select balance::text as balance from wallet_balance_snapshot where wallet_id = ? order by synced_at', [ethWallets[2]!.id]);
    expect(snaps.map((s) => s.balance)).toEqual(['0', '7000000']);
  });

  it('records one snapshot per change when several syncs run at once', async () => {
    tron.setBalance(TRC20_USDT, tronWallets[1]!.address, 42_000_000n);
    const reports = await Promise.all(Array.from({ length: 4 }, () => syncWalletBalances(t.app.db.orm.em.fork(), readers(), opts())));
    expect(reports.reduce((n, r) => n + r.changed, 0)).toBe(1);
    const snaps = await rows('select balance::text as balance from wallet_balance_snapshot where wallet_id = ? order by synced_at', [tronWallets[1]!.id]);
    expect(snaps.map((x) => x.balance)).toEqual(['0', '42000000']);
    expect((await rows('select balance::text as b from wallet where id = ?', [tronWallets[1]!.id]))[0]!.b).toBe('42000000');
  });

  it('retries a failing read and reports wallets it still could not read, by name', async () => {
    tron.failNext(1, 503);
    const retried = await syncWalletBalances(t.app.db.orm.em.fork(), readers(), { ...opts(), concurrency: 1 });
    expect(retried.failed).toEqual([]);

    tron.failNext(100, 500);
    const failing = await syncWalletBalances(t.app.db.orm.em.fork(), readers(), opts());
    expect(failing.synced).toBe(3);
    expect(failing.failed.map((f) => f.walletId).sort()).toEqual(tronWallets.map((w) => w.id).sort());
    expect(failing.failed[0]!.error).toMatch(/HTTP 500/);
    tron.failNext(0);
  });

  it('times out a hanging endpoint instead of waiting for it', async () => {
    tron.delayNext(100, 5000);
    const started = Date.now();
    const r = await syncWalletBalances(t.app.db.orm.em.fork(), readers(), { ...opts(), timeoutMs: 300, retries: 0 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.failed.filter((f) => f.network === Network.TRON)).toHaveLength(3);
    expect(r.failed[0]!.error).toMatch(/timed out|abort/i);
    tron.delayNext(0, 0);
  });

  it('reports every wallet of a network without an endpoint as not synced', async () => {
    const r = await syncWalletBalances(t.app.db.orm.em.fork(), { [Network.TRON]: trc20Reader(tron.url) }, opts());
    expect(r.failed.filter((f) => f.network === Network.ETHEREUM).map((f) => f.error)).toEqual(Array(3).fill('no ETHEREUM endpoint configured'));
  });

  it('runs as a job: a run with unread wallets fails and says why in jobStats', async () => {
    tron.failNext(1000, 500);
    await t.app.jobs.agenda.now('wallets.sync-balances');
    const token = await t.adminToken();
    const end = Date.now() + 20000;
    let stat: { failed: number; lastFailureReason: string | null } | undefined;
    while (Date.now() < end && !stat?.lastFailureReason) {
      const r = await t.gql<{ jobStats: { name: string; failed: number; lastFailureReason: string | null }[] }>('{ jobStats { name failed lastFailureReason } }', {}, { token });
      stat = r.data!.jobStats.find((j) => j.name === 'wallets.sync-balances');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stat!.lastFailureReason).toBe('3 wallet(s) not synced (TRON: 3); wallet ids and errors are in the worker log');
    // Seen by staff of every site: it names no wallet and no endpoint.
    for (const w of tronWallets) expect(stat!.lastFailureReason).not.toContain(w.address);
    expect(stat!.lastFailureReason).not.toContain(tron.url);
    tron.failNext(0);
  });
});

describe('pool replenishment', () => {
  it('tops the pool up to WALLET_POOL_MIN_AVAILABLE per payment network, audits the low pool and sets the gauge', async () => {
    await t.app.jobs.agenda.now('wallets.replenish-pool');
    const end = Date.now() + 20000;
    let counts: Record<string, unknown>[] = [];
    while (Date.now() < end) {
      counts = await rows(`select network, count(*)::int as n from wallet where site_id = ? and status = 'AVAILABLE' group by 1 order by 1`, [site.siteId]);
      if (counts.length === 2 && counts.every((c) => (c.n as number) >= 4)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(counts).toEqual([{ network: 'ETHEREUM', n: 4 }, { network: 'TRON', n: 4 }]);
    const audit = await rows(`select details from audit_entry where action = 'wallet.pool_low' and site_id = ? order by at`, [site.siteId]);
    expect(audit.map((a) => a.details)).toEqual(
      expect.arrayContaining([{ network: 'ETHEREUM', available: 3, minimum: 4 }, { network: 'TRON', available: 3, minimum: 4 }]),
    );
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain(`vestline_wallet_pool_available{site="${site.siteId}",network="TRON"} 4`);
    expect(TronWeb.isAddress((await rows(`select address from wallet where network = 'TRON' and label like 'auto-%' limit 1`))[0]!.address as string)).toBe(true);
  });

  it('leaves a full pool alone', async () => {
    const before = Number((await rows('select count(*) as n from wallet'))[0]!.n);
    const logsBefore = t.logs.length;
    const triggeredAt = Date.now();
    const job = await t.app.jobs.agenda.now('wallets.replenish-pool');
    // "Nothing changed" means something only once the run is known to have happened.
    const end = Date.now() + 20000;
    let run: Record<string, unknown> | undefined;
    while (Date.now() < end && !run?.last_finished_at) {
      run = (await rows('select last_run_at, last_finished_at, fail_reason from agenda_jobs where id = ?', [String(job.attrs._id)]))[0];
      if (!run?.last_finished_at) await new Promise((r) => setTimeout(r, 100));
    }
    expect(run?.last_finished_at).toBeTruthy();
    expect(new Date(run!.last_run_at as string).getTime()).toBeGreaterThanOrEqual(triggeredAt - 1000);
    expect(run!.fail_reason).toBeNull();

    expect(Number((await rows('select count(*) as n from wallet'))[0]!.n)).toBe(before);
    expect(t.logs.slice(logsBefore).filter((l) => l.includes('wallet pool was low'))).toEqual([]);
  });
});

it('never runs the balance sync on two workers at once: a run stops reading at its deadline and keeps its lock until it ends', async () => {
  // 12 more TRON wallets, each read answered after 500 ms, one read at a time: about 8 s of reads in
  // all, far past a 2 s lock. Under its own name, so the app's worker leaves it alone.
  await generateWallets(siteScope(t.app, site.siteId), { network: Network.TRON, count: 12 });
  tron.setBalance(TRC20_USDT, tronWallets[0]!.address, 99_000_000n); // as the first test left it; the contract exists
  tron.delayNext(10_000, 500);
  const LOCK_MS = 2000;
  const READ_TIMEOUT_MS = 1000;
  const runs: { worker: string; start: number; end: number; deadline: number; error: string }[] = [];
  const deps: JobDeps = {
    ...t.app.deps,
    config: { ...t.app.config, CHAIN_READ_CONCURRENCY: 1, CHAIN_READ_TIMEOUT_MS: READ_TIMEOUT_MS, CHAIN_READ_RETRIES: 0 },
    chain: { [Network.TRON]: trc20Reader(tron.url, 'test-api-key') },
  };
  const worker = (name: string) =>
    createJobRunner({
      databaseUrl: t.db.url,
      processEveryMs: 200,
      deps,
      logger: createLogger('silent'),
      jobs: [
        {
          ...syncWalletBalancesJob,
          name: 'test.sync-balances-exclusive',
          every: '3 seconds',
          lockLifetimeMs: LOCK_MS,
          async handler(data: undefined, d: JobDeps, run: JobRun) {
            const r = { worker: name, start: Date.now(), end: 0, deadline: run.deadline.getTime(), error: '' };
            runs.push(r);
            try {
              await syncWalletBalancesJob.handler(data, d, run);
            } catch (e) {
              r.error = String(e);
              throw e;
            } finally {
              r.end = Date.now();
            }
          },
        },
      ],
    });
  const workers: JobRunner[] = [await worker('A'), await worker('B')];
  try {
    await Promise.all(workers.map((w) => w.startProcessing()));
    await new Promise((r) => setTimeout(r, 7500));
  } finally {
    await Promise.all(workers.map((w) => w.close(3000)));
    tron.delayNext(0, 0);
  }
  // A run still going counts as never ending.
  const done = runs.map((r) => ({ ...r, end: r.end || Infinity })).sort((a, b) => a.start - b.start);
  expect(done.length).toBeGreaterThanOrEqual(2);
  // No run starts before the one before it has ended, on either worker.
  for (let i = 1; i < done.length; i++) expect({ run: i, overlapsPrevious: done[i]!.start < done[i - 1]!.end }).toEqual({ run: i, overlapsPrevious: false });
  for (const r of done) {
    // The deadline is 80 % of the lock lifetime from when the job was locked; after it no read starts,
    // so a run ends at most one read timeout later, and says which wallets it left unread.
    expect(r.deadline - r.start).toBeLessThanOrEqual(0.8 * LOCK_MS);
    expect(r.end - r.deadline).toBeLessThan(READ_TIMEOUT_MS + 500);
    expect(r.error).toMatch(/\d+ wallet\(s\) not read before the run's deadline \([^)]*TRON: \d+/);
  }
});
