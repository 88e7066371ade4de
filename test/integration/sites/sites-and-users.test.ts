import { PASSWORD, createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const CREATE_SITE = 'mutation($s:String!,$n:String!){createSite(slug:$s,name:$n){id slug name settings{orderTtlMinutes walletCooldownMinutes tokenPrice tgeAt} createdAt}}';
const CREATE_USER = 'mutation($i:CreateUserInput!){createUser(input:$i){id email role site{id}}}';
const AUDIT = 'query($a:String,$f:Int,$after:String){auditLog(action:$a,first:$f,after:$after){totalCount pageInfo{hasNextPage endCursor} edges{cursor node{action targetType targetId details ip actor{email} at}}}}';

let t: TestApp;
let root: string;
let a: SiteFixture;
let b: SiteFixture;

async function countRows(table: string): Promise<number> {
  const rows = await t.app.db.orm.em.getConnection().execute<{ n: string }[]>(`select count(*) as n from ${table}`);
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  t = await startTestApp();
  root = await t.adminToken();
  a = await createSiteFixture(t, 'site-a');
  b = await createSiteFixture(t, 'site-b');
});
afterAll(() => t.stop());

describe('createSite', () => {
  it('creates a site with default settings, lists it in sites and audits it', async () => {
    const r = await t.gql<{ createSite: { id: string; slug: string; settings: Record<string, unknown> } }>(CREATE_SITE, { s: 'fresh', n: ' Fresh Site ' }, { token: root });
    expect(r.errors).toBeUndefined();
    expect(r.data!.createSite).toMatchObject({ slug: 'fresh', name: 'Fresh Site', settings: { orderTtlMinutes: 30, walletCooldownMinutes: 60, tokenPrice: null, tgeAt: null } });
    const sites = await t.gql<{ sites: { slug: string }[] }>('{ sites { slug } }', {}, { token: root });
    expect(sites.data!.sites.map((s) => s.slug)).toEqual(expect.arrayContaining(['site-a', 'site-b', 'fresh']));
    const audit = await t.gql<{ auditLog: { edges: { node: { action: string; actor: { email: string } } }[] } }>(AUDIT, { a: 'site.created' }, { token: root, siteId: r.data!.createSite.id });
    expect(audit.data!.auditLog.edges[0]!.node).toMatchObject({ action: 'site.created', actor: { email: 'root@vestline.test' } });
  });

  it.each([
    ['an upper-case slug', 'Bad', 'ok'],
    ['a slug with spaces', 'a b', 'ok'],
    ['an empty slug', '', 'ok'],
    ['a trailing hyphen', 'abc-', 'ok'],
    ['an empty name', 'empty-name', '   '],
    ['a 201-character name', 'long-name', 'x'.repeat(201)],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_what, slug, name) => {
    const before = await countRows('site');
    const r = await t.gql(CREATE_SITE, { s: slug, n: name }, { token: root });
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(await countRows('site')).toBe(before);
  });

  it('gives exactly one of many concurrent creations of the same slug, the rest CONFLICT', async () => {
    const before = await countRows('audit_entry');
    const results = await Promise.all(Array.from({ length: 12 }, () => t.gql(CREATE_SITE, { s: 'race', n: 'Race' }, { token: root })));
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(11);
    // The losers left no audit entry behind: the entry commits with the site or not at all.
    expect(await countRows('audit_entry')).toBe(before + 1);
  });
});

describe('createUser', () => {
  it('lets a SITE_ADMIN create an OPERATOR and a CUSTOMER in its own site', async () => {
    for (const role of ['OPERATOR', 'CUSTOMER']) {
      const r = await t.gql<{ createUser: { role: string; site: { id: string } } }>(CREATE_USER, { i: { email: `new-${role}@a.test`, password: PASSWORD, role, siteId: a.siteId } }, { token: a.adminToken });
      expect(r.errors).toBeUndefined();
      expect(r.data!.createUser).toMatchObject({ role, site: { id: a.siteId } });
    }
  });

  it('refuses a SITE_ADMIN creating a SITE_ADMIN or a SUPER_ADMIN (FORBIDDEN)', async () => {
    for (const [role, siteId] of [['SITE_ADMIN', a.siteId], ['SUPER_ADMIN', null]] as const) {
      const r = await t.gql(CREATE_USER, { i: { email: `x-${role}@a.test`, password: PASSWORD, role, siteId } }, { token: a.adminToken });
      expect(r.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    }
  });

  it("makes another site's id look missing to a SITE_ADMIN (NOT_FOUND), and writes nothing", async () => {
    const before = await countRows('app_user');
    const r = await t.gql(CREATE_USER, { i: { email: 'intruder@b.test', password: PASSWORD, role: 'CUSTOMER', siteId: b.siteId } }, { token: a.adminToken });
    const missing = await t.gql(CREATE_USER, { i: { email: 'intruder@b.test', password: PASSWORD, role: 'CUSTOMER', siteId: '00000000-0000-4000-8000-000000000001' } }, { token: a.adminToken });
    expect(r.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(r.errors![0]!.message).toBe(missing.errors![0]!.message);
    expect(await countRows('app_user')).toBe(before);
  });

  it.each([
    ['a bad email', { email: 'not-an-email', password: PASSWORD, role: 'CUSTOMER' }],
    ['a short password', { email: 'short@a.test', password: 'short', role: 'CUSTOMER' }],
    ['no siteId for a CUSTOMER', { email: 'nosite@a.test', password: PASSWORD, role: 'CUSTOMER', siteId: null }],
    ['a siteId for a SUPER_ADMIN', { email: 'sa@a.test', password: PASSWORD, role: 'SUPER_ADMIN' }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, input) => {
    const i = { siteId: a.siteId, ...input };
    const r = await t.gql(CREATE_USER, { i }, { token: root });
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a wrongly typed role before any resolver runs', async () => {
    const r = await t.gql(CREATE_USER, { i: { email: 'typed@a.test', password: PASSWORD, role: 'KING', siteId: a.siteId } }, { token: root });
    expect(r.status).toBe(400);
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('allows the same email in two sites but only once per site, also under concurrency', async () => {
    const one = await t.gql(CREATE_USER, { i: { email: 'shared@x.test', password: PASSWORD, role: 'CUSTOMER', siteId: a.siteId } }, { token: root });
    const two = await t.gql(CREATE_USER, { i: { email: 'shared@x.test', password: PASSWORD, role: 'CUSTOMER', siteId: b.siteId } }, { token: root });
    expect(one.errors).toBeUndefined();
    expect(two.errors).toBeUndefined();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.gql(CREATE_USER, { i: { email: 'Twice@A.test', password: PASSWORD, role: 'CUSTOMER', siteId: a.siteId } }, { token: a.adminToken })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(9);
  });

  it('signs a user whose email exists in two sites in with x-site-id, and asks for it when ambiguous', async () => {
    const LOGIN = 'mutation($e:String!,$p:String!){login(email:$e,password:$p){user{site{id}}}}';
    const ambiguous = await t.gql(LOGIN, { e: 'shared@x.test', p: PASSWORD });
    expect(ambiguous.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'SITE_REQUIRED' });
    const chosen = await t.gql<{ login: { user: { site: { id: string } } } }>(LOGIN, { e: 'shared@x.test', p: PASSWORD }, { headers: { 'x-site-id': b.siteId } });
    expect(chosen.data!.login.user.site.id).toBe(b.siteId);
  });
});

describe('site isolation', () => {
  it("shows each site only its own audit entries, and a SUPER_ADMIN the chosen site's", async () => {
    const ofA = await t.gql<{ auditLog: { edges: { node: { targetId: string; details: string } }[] } }>(AUDIT, { f: 100 }, { token: a.operatorToken });
    const ofB = await t.gql<{ auditLog: { edges: { node: { targetId: string } }[] } }>(AUDIT, { f: 100 }, { token: b.adminToken });
    const idsA = new Set(ofA.data!.auditLog.edges.map((e) => e.node.targetId));
    const idsB = new Set(ofB.data!.auditLog.edges.map((e) => e.node.targetId));
    expect(idsA.has(a.siteId)).toBe(true);
    expect(idsA.has(b.siteId)).toBe(false);
    expect(idsB.has(b.siteId)).toBe(true);
    expect([...idsA].some((id) => idsB.has(id))).toBe(false);
    const chosen = await t.gql<{ auditLog: { edges: { node: { targetId: string } }[] } }>(AUDIT, { f: 100 }, { token: root, siteId: b.siteId });
    expect(new Set(chosen.data!.auditLog.edges.map((e) => e.node.targetId))).toEqual(idsB);
  });

  it('never writes a password into audit details', async () => {
    const all = await t.app.db.orm.em.getConnection().execute<{ details: unknown }[]>('select details from audit_entry');
    expect(all.length).toBeGreaterThan(5);
    expect(JSON.stringify(all)).not.toContain(PASSWORD);
  });

  it('pages the audit log newest first with stable cursors', async () => {
    const page1 = await t.gql<{ auditLog: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { at: string } }[] } }>(AUDIT, { f: 2 }, { token: a.adminToken });
    const total = page1.data!.auditLog.totalCount;
    expect(total).toBeGreaterThan(2);
    const seen = [...page1.data!.auditLog.edges];
    let cursor: string | null = page1.data!.auditLog.pageInfo.endCursor;
    while (cursor) {
      type PageResult = { auditLog: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { at: string } }[] } };
      const next: Awaited<ReturnType<typeof t.gql<PageResult>>> = await t.gql<{ auditLog: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { at: string } }[] } }>(AUDIT, { f: 2, after: cursor }, { token: a.adminToken });
      seen.push(...next.data!.auditLog.edges);
      cursor = next.data!.auditLog.pageInfo.hasNextPage ? next.data!.auditLog.pageInfo.endCursor : null;
    }
    expect(seen).toHaveLength(total);
    const times = seen.map((e) => Date.parse(e.node.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
  });

  it.each([
    [{ f: 0 }, 'first 0'],
    [{ f: 101 }, 'first 101'],
    [{ f: 5, after: 'garbage!' }, 'a garbage cursor'],
  ])('refuses %j (%s) with BAD_USER_INPUT', async (vars: Record<string, unknown>, _what: string) => {
    const r = await t.gql(AUDIT, vars, { token: a.adminToken });
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('keeps the audit log append-only in the database itself', async () => {
    await expect(t.app.db.orm.em.getConnection().execute("update audit_entry set action = 'forged'")).rejects.toThrow(/append-only/);
    await expect(t.app.db.orm.em.getConnection().execute('delete from audit_entry')).rejects.toThrow(/append-only/);
  });
});
