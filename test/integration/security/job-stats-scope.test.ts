import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

type Stats = { jobStats: { name: string; failed: number; lastFailureReason: string | null }[] };
const STATS = '{ jobStats { name failed lastFailureReason } }';
const REASON = '531 wallet(s) not synced (TRON: 521, ETHEREUM: 10); wallet ids and errors are in the worker log';

describe('jobStats for site staff', () => {
  let t: TestApp;
  let site: SiteFixture;
  beforeAll(async () => {
    t = await startTestApp();
    site = await createSiteFixture(t, 'job-scope');
    // A platform-wide failure, as the balance sync reports it over every site's wallets.
    // (Written as Agenda's own failure bookkeeping writes it; its job.save() does not store failures.)
    await t.app.db.orm.em.fork().getConnection().execute(
      `insert into agenda_jobs (id, name, type, priority, next_run_at, last_finished_at, failed_at, fail_reason, fail_count, data)
       values (gen_random_uuid(), 'wallets.sync-balances', 'normal', 0, now() + interval '1 day', now(), now(), ?, 1, '{}')`,
      [REASON],
    );
  });
  afterAll(() => t.stop());

  it.each(['adminToken', 'operatorToken'] as const)('shows %s no platform-wide failure count or reason', async (who) => {
    const r = await t.gql<Stats>(STATS, {}, { token: site[who] });
    expect(r.errors).toBeUndefined();
    const sync = r.data!.jobStats.find((s) => s.name === 'wallets.sync-balances');
    expect(sync).toEqual({ name: 'wallets.sync-balances', failed: 0, lastFailureReason: null });
    expect(JSON.stringify(r.data)).not.toContain('TRON: 521');
  });

  it('shows the SUPER_ADMIN the failures and their reason', async () => {
    const r = await t.gql<Stats>(STATS, {}, { token: await t.adminToken() });
    const sync = r.data!.jobStats.find((s) => s.name === 'wallets.sync-balances');
    expect(sync!.failed).toBeGreaterThanOrEqual(1);
    expect(sync!.lastFailureReason).toBe(REASON);
  });
});
