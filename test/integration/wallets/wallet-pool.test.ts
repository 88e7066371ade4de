import { randomUUID } from 'node:crypto';
import { Network } from '../../../src/entities/enums.js';
import { SITE_FILTER } from '../../../src/entities/site-scope.js';
import { generateWallets } from '../../../src/services/wallets/generate-wallets.js';
import { siteScope } from '../../support/scope.js';
import { allocateWallet } from '../../../src/services/wallets/allocate-wallet.js';
import { endCooldowns } from '../../../src/services/wallets/end-cooldowns.js';
import { releaseWallet } from '../../../src/services/wallets/release-wallet.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

let t: TestApp;
let site: SiteFixture;
const em = () => {
  const fork = t.app.db.orm.em.fork();
  fork.setFilterParams(SITE_FILTER, { siteId: site.siteId });
  return fork;
};
const rows = (sql: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(sql, params);

beforeAll(async () => {
  t = await startTestApp({ DB_POOL_MAX: '60' });
  site = await createSiteFixture(t, 'pool');
  await generateWallets(siteScope(t.app, site.siteId), { network: Network.TRON, count: 150 });
  await generateWallets(siteScope(t.app, site.siteId), { network: Network.ETHEREUM, count: 3 });
});
afterAll(() => t.stop());

describe('allocating deposit wallets', () => {
  it('gives 150 of 200 concurrent callers distinct wallets and tells the other 50 the pool is exhausted', async () => {
    const orders = Array.from({ length: 200 }, () => randomUUID());
    const results = await Promise.allSettled(orders.map((orderId) => allocateWallet(em(), site.siteId, Network.TRON, orderId)));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { reason?: string }] : []));
    expect(won).toHaveLength(150);
    expect(new Set(won.map((w) => w.id)).size).toBe(150);
    expect(lost).toHaveLength(50);
    expect(lost.every((e) => e.reason === 'POOL_EXHAUSTED')).toBe(true);

    const db = await rows(`select status, current_order_id from wallet where site_id = ? and network = 'TRON'`, [site.siteId]);
    expect(db.filter((w) => w.status === 'ALLOCATED')).toHaveLength(150);
    // Nothing half-allocated: each allocated wallet holds exactly one of the orders that won.
    const holders = db.map((w) => w.current_order_id as string);
    expect(new Set(holders).size).toBe(150);
    const winners = new Set<string>(results.flatMap((r, i) => (r.status === 'fulfilled' ? [orders[i]!] : [])));
    expect(holders.every((h) => winners.has(h))).toBe(true);
    // The other network's pool was not touched.
    expect((await rows(`select count(*)::int as n from wallet where network = 'ETHEREUM' and status = 'AVAILABLE' and site_id = ?`, [site.siteId]))[0]!.n).toBe(3);
  });

  it('never hands a wallet to another site', async () => {
    const other = await createSiteFixture(t, 'pool-other');
    await expect(allocateWallet(em(), other.siteId, Network.ETHEREUM, randomUUID())).rejects.toMatchObject({ reason: 'POOL_EXHAUSTED' });
  });

  it('cools a released wallet down for the site setting before it is reused', async () => {
    const orderId = randomUUID();
    const w = await allocateWallet(em(), site.siteId, Network.ETHEREUM, orderId);
    expect(await releaseWallet(em(), site.siteId, w.id, randomUUID())).toBe(false); // only the holding order can release it
    expect(await releaseWallet(em(), site.siteId, w.id, orderId)).toBe(true);
    expect(await releaseWallet(em(), site.siteId, w.id, orderId)).toBe(false); // and only once
    const [row] = await rows(`select status, current_order_id, extract(epoch from cooling_down_until - now()) / 60 as minutes from wallet where id = ?`, [w.id]);
    expect(row).toMatchObject({ status: 'COOLING_DOWN', current_order_id: null });
    expect(Number(row!.minutes)).toBeGreaterThan(59);
    expect(Number(row!.minutes)).toBeLessThanOrEqual(60);

    expect(await endCooldowns(em())).toBe(0);
    await rows(`update wallet set cooling_down_until = now() - interval '1 second' where id = ?`, [w.id]);
    expect(await endCooldowns(em())).toBe(1);
    expect((await rows('select status from wallet where id = ?', [w.id]))[0]!.status).toBe('AVAILABLE');
  });

  it('runs the cool-down job through Agenda', async () => {
    const orderId = randomUUID();
    const w = await allocateWallet(em(), site.siteId, Network.ETHEREUM, orderId);
    await releaseWallet(em(), site.siteId, w.id, orderId);
    await rows(`update wallet set cooling_down_until = now() - interval '1 second' where id = ?`, [w.id]);
    await t.app.jobs.agenda.now('wallets.end-cooldown');
    const end = Date.now() + 10000;
    let status = '';
    while (Date.now() < end && status !== 'AVAILABLE') {
      status = (await rows('select status from wallet where id = ?', [w.id]))[0]!.status as string;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('AVAILABLE');
  });
});
