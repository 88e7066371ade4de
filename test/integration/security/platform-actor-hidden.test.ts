import { ADMIN_EMAIL, createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const LOG = '{ auditLog(first: 100) { edges { node { action ip actor { id email role } } } } }';
type Entry = { action: string; ip: string | null; actor: { id: string; email: string; role: string } | null };
type Log = { auditLog: { edges: { node: Entry }[] } };

describe('platform operators in a site audit log', () => {
  let t: TestApp;
  let site: SiteFixture;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'loopback' });
    // The SUPER_ADMIN creates the site and its users from a known address.
    site = await createSiteFixture(t, 'hidden-root');
  });
  afterAll(() => t.stop());

  it.each(['adminToken', 'operatorToken'] as const)('shows platform entries to %s with actor and ip null', async (who) => {
    const r = await t.gql<Log>(LOG, {}, { token: site[who] });
    expect(r.errors).toBeUndefined();
    const entries = r.data!.auditLog.edges.map((e) => e.node);
    const byPlatform = entries.filter((e) => e.action === 'site.created' || e.action === 'user.created');
    expect(byPlatform.length).toBeGreaterThanOrEqual(4);
    for (const e of byPlatform) expect(e).toMatchObject({ actor: null, ip: null });
    expect(JSON.stringify(r.data)).not.toContain(ADMIN_EMAIL);
  });

  it('still shows site staff as actors to site staff', async () => {
    const created = await t.gql('mutation($i:CreateUserInput!){createUser(input:$i){id}}', { i: { email: 'second@hidden-root.test', password: 'correct-horse-battery', role: 'CUSTOMER', siteId: site.siteId } }, { token: site.adminToken, headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(created.errors).toBeUndefined();
    const r = await t.gql<Log>(LOG, {}, { token: site.operatorToken });
    const entry = r.data!.auditLog.edges.map((e) => e.node).find((e) => e.action === 'user.created' && e.actor);
    expect(entry).toMatchObject({ actor: { email: site.adminEmail, role: 'SITE_ADMIN' }, ip: '198.51.100.7' });
  });

  it('shows the platform actor to a SUPER_ADMIN reading the site', async () => {
    const r = await t.gql<Log>(LOG, {}, { token: await t.adminToken(), siteId: site.siteId });
    const entry = r.data!.auditLog.edges.map((e) => e.node).find((e) => e.action === 'site.created');
    expect(entry?.actor).toMatchObject({ email: ADMIN_EMAIL, role: 'SUPER_ADMIN' });
    expect(entry?.ip).not.toBeNull();
  });
});
