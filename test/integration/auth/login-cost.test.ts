import { login, loginSettings, type LoginSettings } from '../../../src/services/auth/login.js';
import { verifyPassword } from '../../../src/services/auth/password.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * A failed login must cost the same whatever accounts the email has, or its duration tells which
 * emails exist (and in how many sites). Counted in scrypt runs, not wall-clock time.
 */
let t: TestApp;
const sites: string[] = [];
beforeAll(async () => {
  t = await startTestApp();
  const root = await t.adminToken();
  for (const slug of ['cost-a', 'cost-b', 'cost-c']) {
    const r = await t.gql<{ createSite: { id: string } }>('mutation($s:String!){createSite(slug:$s,name:$s){id}}', { s: slug }, { token: root });
    sites.push(r.data!.createSite.id);
  }
  const create = async (email: string, siteId: string) => {
    const r = await t.gql('mutation($i:CreateUserInput!){createUser(input:$i){id}}', { i: { email, password: PASSWORD, role: 'CUSTOMER', siteId } }, { token: root });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  };
  await create('one@cost.test', sites[0]!);
  for (const s of sites.slice(0, 2)) await create('two@cost.test', s);
  for (const s of sites) await create('three@cost.test', s);
  // The SUPER_ADMIN's email in a site too: with x-site-id both are candidates.
  await create(ADMIN_EMAIL, sites[0]!);
});
afterAll(() => t.stop());

/** Runs one login and says how many password verifications (scrypt runs) it cost and how it ended. */
async function attempt(email: string, password: string, siteId: string | null = null): Promise<{ checks: number; outcome: string }> {
  let checks = 0;
  const s: LoginSettings = {
    ...loginSettings(t.app.deps.config),
    maxFailures: 1000,
    verifyPassword: (p, h) => {
      checks++;
      return verifyPassword(p, h);
    },
  };
  try {
    const r = await login(t.app.deps.orm.em.fork(), { email, password, ip: null, siteId }, s);
    return { checks, outcome: `ok:${r.user.site?.id ?? 'platform'}` };
  } catch (e) {
    return { checks, outcome: (e as { reason?: string }).reason ?? String(e) };
  }
}

describe('login cost does not depend on how many accounts an email has', () => {
  it('runs the same number of scrypt verifications for a wrong password with 0, 1, 2 or 3 matching accounts', async () => {
    const runs = {
      none: await attempt('nobody@cost.test', 'wrong-password'),
      one: await attempt('one@cost.test', 'wrong-password'),
      two: await attempt('two@cost.test', 'wrong-password'),
      three: await attempt('three@cost.test', 'wrong-password'),
      superAdmin: await attempt(ADMIN_EMAIL, 'wrong-password'),
      noneInSite: await attempt('nobody@cost.test', 'wrong-password', sites[1]!),
      twoInSite: await attempt('two@cost.test', 'wrong-password', sites[1]!),
      superAdminInSite: await attempt(ADMIN_EMAIL, 'wrong-password', sites[0]!),
    };
    for (const r of Object.values(runs)) expect(r.outcome).toBe('INVALID_CREDENTIALS');
    const counts = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, r.checks]));
    const first = runs.none.checks;
    expect(first).toBeGreaterThan(0);
    expect(counts).toEqual(Object.fromEntries(Object.keys(runs).map((k) => [k, first])));
  });

  it('costs a successful login the same as a failed one, and still tells the accounts apart', async () => {
    const failed = await attempt('nobody@cost.test', 'wrong-password');
    const one = await attempt('one@cost.test', PASSWORD);
    const chosen = await attempt('two@cost.test', PASSWORD, sites[1]!);
    const ambiguous = await attempt('two@cost.test', PASSWORD);
    const root = await attempt(ADMIN_EMAIL, ADMIN_PASSWORD, sites[0]!);
    expect(one).toEqual({ checks: failed.checks, outcome: `ok:${sites[0]}` });
    expect(chosen).toEqual({ checks: failed.checks, outcome: `ok:${sites[1]}` });
    expect(ambiguous).toEqual({ checks: failed.checks, outcome: 'SITE_REQUIRED' });
    expect(root).toEqual({ checks: failed.checks, outcome: 'ok:platform' });
  });
});
