import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const CREATE = 'mutation($i: VestingPlanInput!) { createVestingPlan(input: $i) { id name tgeBps cliffDays periods periodDays createdAt } }';
const LIST = '{ vestingPlans { id name tgeBps cliffDays periods periodDays } }';
type Plan = { id: string; name: string; tgeBps: number; cliffDays: number; periods: number; periodDays: number };
const STANDARD = { name: '10% TGE, 90-day cliff, 12 monthly', tgeBps: 1000, cliffDays: 90, periods: 12, periodDays: 30 };

describe('vesting plans', () => {
  let t: TestApp;
  let site: SiteFixture;
  let other: SiteFixture;
  const count = async (table: string) => Number((await t.app.db.orm.em.fork().getConnection().execute<{ n: string }[]>(`select count(*) as n from ${table}`))[0]!.n);

  beforeAll(async () => {
    t = await startTestApp();
    site = await createSiteFixture(t, 'plans');
    other = await createSiteFixture(t, 'plans-other');
  });
  afterAll(() => t.stop());

  it('creates a plan, audited, and lists it to every member of its site only', async () => {
    const r = await t.gql<{ createVestingPlan: Plan }>(CREATE, { i: STANDARD }, { token: site.adminToken });
    expect(r.errors).toBeUndefined();
    expect(r.data!.createVestingPlan).toMatchObject(STANDARD);
    for (const token of [site.adminToken, site.operatorToken, site.customerToken]) {
      const list = await t.gql<{ vestingPlans: Plan[] }>(LIST, {}, { token });
      expect(list.data!.vestingPlans).toEqual([{ id: r.data!.createVestingPlan.id, ...STANDARD }]);
    }
    expect((await t.gql<{ vestingPlans: Plan[] }>(LIST, {}, { token: other.customerToken })).data!.vestingPlans).toEqual([]);
    const audit = await t.app.db.orm.em.fork().getConnection().execute<{ n: string }[]>(`select count(*) as n from audit_entry where action = 'vesting_plan.created' and target_id = ?`, [r.data!.createVestingPlan.id]);
    expect(Number(audit[0]!.n)).toBe(1);
  });

  it.each([
    ['tgeBps 10001', { tgeBps: 10001 }, 'tgeBps'],
    ['tgeBps -1', { tgeBps: -1 }, 'tgeBps'],
    ['cliffDays -1', { cliffDays: -1 }, 'cliffDays'],
    ['periods 0', { periods: 0 }, 'periods'],
    ['periods 601', { periods: 601 }, 'periods'],
    ['periodDays 0', { periodDays: 0 }, 'periodDays'],
    ['periodDays 3661', { periodDays: 3661 }, 'periodDays'],
    ['a blank name', { name: '   ' }, 'name'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and writes nothing', async (_n, change, field) => {
    const before = [await count('vesting_plan'), await count('audit_entry')];
    const r = await t.gql(CREATE, { i: { ...STANDARD, name: `plan ${field}`, ...change } }, { token: site.adminToken });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((r.errors?.[0]?.extensions?.fields as { field: string }[]).map((f) => f.field)).toEqual([field]);
    expect([await count('vesting_plan'), await count('audit_entry')]).toEqual(before);
  });

  it('gives one of 8 concurrent plans with the same name, the others CONFLICT; the name is free in another site', async () => {
    const input = { ...STANDARD, name: 'race' };
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gql(CREATE, { i: input }, { token: site.adminToken })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors).map((r) => [r.errors![0]!.extensions!.code, r.errors![0]!.extensions!.reason])).toEqual(Array(7).fill(['CONFLICT', 'PLAN_NAME_TAKEN']));
    expect((await t.gql(CREATE, { i: input }, { token: other.adminToken })).errors).toBeUndefined();
  });

  it('never changes once created: the database refuses an update', async () => {
    const r = await t.gql<{ createVestingPlan: Plan }>(CREATE, { i: { ...STANDARD, name: 'frozen' } }, { token: site.adminToken });
    const conn = t.app.db.orm.em.fork().getConnection();
    await expect(conn.execute('update vesting_plan set tge_bps = 0 where id = ?', [r.data!.createVestingPlan.id])).rejects.toThrow(/immutable/);
    const [row] = await conn.execute<{ tge_bps: number }[]>('select tge_bps from vesting_plan where id = ?', [r.data!.createVestingPlan.id]);
    expect(row!.tge_bps).toBe(1000);
  });

  it('lets only the SITE_ADMIN create plans', async () => {
    expect((await t.gql(CREATE, { i: { ...STANDARD, name: 'op' } }, { token: site.operatorToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CREATE, { i: { ...STANDARD, name: 'cu' } }, { token: site.customerToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
