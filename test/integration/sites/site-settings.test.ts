import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const UPDATE = 'mutation($i: SiteSettingsInput!) { updateSiteSettings(input: $i) { id settings { tokenPrice minOrderAmount maxOrderAmount orderTtlMinutes walletCooldownMinutes tgeAt } } }';
type Settings = { tokenPrice: string | null; minOrderAmount: string | null; maxOrderAmount: string | null; orderTtlMinutes: number; walletCooldownMinutes: number; tgeAt: string | null };
type Update = { updateSiteSettings: { id: string; settings: Settings } };

describe('site sale settings', () => {
  let t: TestApp;
  let site: SiteFixture;
  let other: SiteFixture;
  const row = async (siteId: string) =>
    (await t.app.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>('select token_price, min_order_amount, max_order_amount, order_ttl_minutes, wallet_cooldown_minutes from site where id = ?', [siteId]))[0]!;
  const audits = async (siteId: string) =>
    (await t.app.db.orm.em.fork().getConnection().execute<{ details: Record<string, unknown> }[]>(`select details from audit_entry where site_id = ? and action = 'site.settings_updated' order by at`, [siteId])).map((r) => r.details);

  beforeAll(async () => {
    t = await startTestApp();
    site = await createSiteFixture(t, 'settings');
    other = await createSiteFixture(t, 'settings-other');
  });
  afterAll(() => t.stop());

  it('changes only the fields sent, normalises decimals, audits old and new values, and leaves other sites alone', async () => {
    const before = await row(other.siteId);
    const r = await t.gql<Update>(UPDATE, { i: { tokenPrice: '0.050', minOrderAmount: '10', maxOrderAmount: '50000.5', orderTtlMinutes: 45 } }, { token: site.adminToken });
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateSiteSettings.settings).toEqual({ tokenPrice: '0.05', minOrderAmount: '10', maxOrderAmount: '50000.5', orderTtlMinutes: 45, walletCooldownMinutes: 60, tgeAt: null });
    const again = await t.gql<Update>(UPDATE, { i: { walletCooldownMinutes: 0, tgeAt: '2027-01-01T00:00:00.000Z' } }, { token: site.adminToken });
    expect(again.data!.updateSiteSettings.settings).toMatchObject({ tokenPrice: '0.05', orderTtlMinutes: 45, walletCooldownMinutes: 0, tgeAt: '2027-01-01T00:00:00.000Z' });
    const cleared = await t.gql<Update>(UPDATE, { i: { maxOrderAmount: null } }, { token: site.adminToken });
    expect(cleared.data!.updateSiteSettings.settings.maxOrderAmount).toBeNull();
    expect(await audits(site.siteId)).toEqual([
      { tokenPrice: { from: null, to: '0.05' }, minOrderAmount: { from: null, to: '10' }, maxOrderAmount: { from: null, to: '50000.5' }, orderTtlMinutes: { from: 30, to: 45 } },
      { walletCooldownMinutes: { from: 60, to: 0 }, tgeAt: { from: null, to: '2027-01-01T00:00:00.000Z' } },
      { maxOrderAmount: { from: '50000.5', to: null } },
    ]);
    // Sending the same values again changes nothing and audits nothing.
    await t.gql<Update>(UPDATE, { i: { tokenPrice: '0.05000' } }, { token: site.adminToken });
    expect(await audits(site.siteId)).toHaveLength(3);
    expect(await row(other.siteId)).toEqual(before);
  });

  it.each([
    ['a zero price', { tokenPrice: '0' }, 'tokenPrice'],
    ['a negative price', { tokenPrice: '-1' }, null],
    ['an exponent', { tokenPrice: '1e6' }, null],
    ['19 decimals', { tokenPrice: '0.0000000000000000001' }, 'tokenPrice'],
    ['a zero minimum', { minOrderAmount: '0' }, 'minOrderAmount'],
    ['TTL 0', { orderTtlMinutes: 0 }, 'orderTtlMinutes'],
    ['TTL 1441', { orderTtlMinutes: 1441 }, 'orderTtlMinutes'],
    ['cool-down -1', { walletCooldownMinutes: -1 }, 'walletCooldownMinutes'],
    ['cool-down 10081', { walletCooldownMinutes: 10081 }, 'walletCooldownMinutes'],
    ['a cleared TTL', { orderTtlMinutes: null }, 'orderTtlMinutes'],
    ['min above max', { minOrderAmount: '100', maxOrderAmount: '99.999' }, 'minOrderAmount'],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, input, field) => {
    const before = { row: await row(site.siteId), audits: (await audits(site.siteId)).length };
    const r = await t.gql(UPDATE, { i: input }, { token: site.adminToken });
    const e = r.errors?.[0];
    expect(e?.extensions?.code).toBe('BAD_USER_INPUT');
    if (field) expect([e?.extensions?.field, ...((e?.extensions?.fields as { field: string }[] | undefined)?.map((f) => f.field) ?? [])]).toContain(field);
    expect({ row: await row(site.siteId), audits: (await audits(site.siteId)).length }).toEqual(before);
  });

  it('is for the SITE_ADMIN of the site only', async () => {
    expect((await t.gql(UPDATE, { i: { orderTtlMinutes: 5 } }, { token: site.operatorToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(UPDATE, { i: { orderTtlMinutes: 5 } }, { token: site.customerToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(UPDATE, { i: { orderTtlMinutes: 5 } })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('never ends with min above max when two admins change the limits at once', async () => {
    await t.gql(UPDATE, { i: { minOrderAmount: '10', maxOrderAmount: '1000' } }, { token: site.adminToken });
    // One raises the minimum to 500, the other lowers the maximum to 100: each is fine alone, not together.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.gql<Update>(UPDATE, { i: i % 2 ? { minOrderAmount: '500' } : { maxOrderAmount: '100' } }, { token: site.adminToken })),
    );
    const ok = results.filter((r) => !r.errors);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.errors).every((r) => r.errors![0]!.extensions!.code === 'BAD_USER_INPUT')).toBe(true);
    const final = await row(site.siteId);
    expect(Number(final.min_order_amount)).toBeLessThanOrEqual(Number(final.max_order_amount));
  });
});
